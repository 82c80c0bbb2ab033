namespace Pliant.Quic.Tls;

/// <summary>A growable big-endian writer for TLS structures with nested length prefixes.</summary>
internal sealed class TlsWriter
{
    private byte[] _buffer = new byte[512];
    private int _length;

    public int Length => _length;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public void Clear() => _length = 0;

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private void Ensure(int n)
    {
        if (_length + n <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
    }

    public void U8(int v) { Ensure(1); _buffer[_length++] = (byte)v; }

    public void U16(int v) { Ensure(2); _buffer[_length++] = (byte)(v >> 8); _buffer[_length++] = (byte)v; }

    public void U24(int v) { Ensure(3); _buffer[_length++] = (byte)(v >> 16); _buffer[_length++] = (byte)(v >> 8); _buffer[_length++] = (byte)v; }

    public void U32(uint v) { U16((int)(v >> 16)); U16((int)(v & 0xffff)); }

    public void U64(ulong v) { U32((uint)(v >> 32)); U32((uint)v); }

    public void Bytes(ReadOnlySpan<byte> b) { Ensure(b.Length); b.CopyTo(_buffer.AsSpan(_length)); _length += b.Length; }

    /// <summary>Reserves a length prefix of <paramref name="size"/> bytes; pass the result to <see cref="EndLength"/>.</summary>
    public int BeginLength(int size)
    {
        Ensure(size);
        int at = _length;
        _length += size;
        return at | (size << 28);
    }

    /// <summary>Fills in the length prefix reserved by <see cref="BeginLength"/>.</summary>
    public void EndLength(int token)
    {
        int at = token & 0x0fffffff, size = token >> 28;
        int len = _length - at - size;
        if (len >= 1 << (8 * size)) throw new InvalidOperationException("TLS vector too long");
        for (int i = size - 1; i >= 0; i--) { _buffer[at + i] = (byte)len; len >>= 8; }
    }

    public void Vector8(ReadOnlySpan<byte> b) { if (b.Length > 0xff) throw new InvalidOperationException("TLS vector too long"); U8(b.Length); Bytes(b); }

    public void Vector16(ReadOnlySpan<byte> b) { if (b.Length > 0xffff) throw new InvalidOperationException("TLS vector too long"); U16(b.Length); Bytes(b); }

    public void Vector24(ReadOnlySpan<byte> b) { U24(b.Length); Bytes(b); }

    /// <summary>Starts a handshake message (type + 24-bit length); end it with <see cref="EndLength"/>.</summary>
    public int BeginMessage(byte type) { U8(type); return BeginLength(3); }

    /// <summary>Starts an extension (type + 16-bit length); end it with <see cref="EndLength"/>.</summary>
    public int BeginExtension(ushort type) { U16(type); return BeginLength(2); }
}
