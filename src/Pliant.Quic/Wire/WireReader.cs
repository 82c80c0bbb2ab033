using System.Buffers.Binary;

namespace Pliant.Quic.Wire;

/// <summary>
/// A forward-only reader over a byte span for wire formats (frames, transport parameters, TLS
/// messages). Each read past the end, or a malformed value, throws a
/// <see cref="QuicProtocolException"/> carrying the error code given at construction — so a frame
/// parser fails with FRAME_ENCODING_ERROR and a TLS parser with CRYPTO_ERROR(decode_error).
/// </summary>
public ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly TransportErrorCode _error;
    private readonly string _what;
    private int _position;

    /// <summary>Creates a reader.</summary>
    /// <param name="buffer">The bytes to read.</param>
    /// <param name="error">Error code for truncated or malformed input.</param>
    /// <param name="what">What is being parsed, for error messages ("ACK frame", "ClientHello").</param>
    public WireReader(ReadOnlySpan<byte> buffer, TransportErrorCode error, string what)
    {
        _buffer = buffer;
        _error = error;
        _what = what;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes left.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool IsEmpty => _position >= _buffer.Length;

    /// <summary>The unread bytes.</summary>
    public readonly ReadOnlySpan<byte> Rest => _buffer[_position..];

    /// <summary>Throws the reader's error with a message.</summary>
    public readonly QuicProtocolException Fail(string detail) => new(_error, $"{_what}: {detail}");

    private void Need(int n)
    {
        if (n < 0 || Remaining < n) throw Fail("truncated");
    }

    public byte ReadByte() { Need(1); return _buffer[_position++]; }

    public ushort ReadUInt16() { Need(2); var v = BinaryPrimitives.ReadUInt16BigEndian(_buffer[_position..]); _position += 2; return v; }

    public uint ReadUInt24() { Need(3); uint v = (uint)(_buffer[_position] << 16 | _buffer[_position + 1] << 8 | _buffer[_position + 2]); _position += 3; return v; }

    public uint ReadUInt32() { Need(4); var v = BinaryPrimitives.ReadUInt32BigEndian(_buffer[_position..]); _position += 4; return v; }

    public ulong ReadUInt64() { Need(8); var v = BinaryPrimitives.ReadUInt64BigEndian(_buffer[_position..]); _position += 8; return v; }

    /// <summary>Reads a QUIC varint (RFC 9000 §16).</summary>
    public ulong ReadVarInt()
    {
        if (!VarInt.TryRead(_buffer[_position..], out ulong v, out int len)) throw Fail("truncated varint");
        _position += len;
        return v;
    }

    /// <summary>Reads a varint that must fit in an int (lengths).</summary>
    public int ReadVarIntLength()
    {
        ulong v = ReadVarInt();
        if (v > int.MaxValue) throw Fail("length too large");
        return (int)v;
    }

    public ReadOnlySpan<byte> ReadBytes(int count) { Need(count); var s = _buffer.Slice(_position, count); _position += count; return s; }

    /// <summary>Reads a vector with an 8-bit length prefix (TLS opaque&lt;0..255&gt;).</summary>
    public ReadOnlySpan<byte> ReadVector8() => ReadBytes(ReadByte());

    /// <summary>Reads a vector with a 16-bit length prefix.</summary>
    public ReadOnlySpan<byte> ReadVector16() => ReadBytes(ReadUInt16());

    /// <summary>Reads a vector with a 24-bit length prefix.</summary>
    public ReadOnlySpan<byte> ReadVector24() => ReadBytes((int)ReadUInt24());

    /// <summary>Reads a vector with a varint length prefix.</summary>
    public ReadOnlySpan<byte> ReadVectorVarInt() => ReadBytes(ReadVarIntLength());

    public void Skip(int count) { Need(count); _position += count; }
}
