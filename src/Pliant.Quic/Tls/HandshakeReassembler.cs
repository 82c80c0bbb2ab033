using System.Buffers.Binary;

namespace Pliant.Quic.Tls;

/// <summary>
/// Splits one encryption level's in-order CRYPTO bytes into whole handshake messages
/// (type(1) || length(3) || body), across partial chunks and several messages per chunk.
/// </summary>
internal sealed class HandshakeReassembler
{
    /// <summary>Largest handshake message accepted (a certificate chain fits comfortably).</summary>
    public const int MaxMessageSize = 1 << 18;

    private byte[] _buffer = [];
    private int _length;

    public bool IsEmpty => _length == 0;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        if (_length + data.Length > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_length + data.Length, Math.Max(256, _buffer.Length * 2)));
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    /// <summary>Takes the next complete message (header included) when one is buffered.</summary>
    public bool TryTake(out byte type, out byte[] message)
    {
        type = 0;
        message = [];
        if (_length < 4) return false;
        int bodyLength = (int)(BinaryPrimitives.ReadUInt32BigEndian(_buffer) & 0xffffff);
        if (bodyLength > MaxMessageSize)
            // RFC 9000 §7.5: more buffered handshake data than we are willing to hold.
            throw new QuicProtocolException(TransportErrorCode.CryptoBufferExceeded, $"handshake message of {bodyLength} bytes is too large");
        if (_length < 4 + bodyLength) return false;
        type = _buffer[0];
        message = _buffer.AsSpan(0, 4 + bodyLength).ToArray();
        _buffer.AsSpan(4 + bodyLength, _length - 4 - bodyLength).CopyTo(_buffer);
        _length -= 4 + bodyLength;
        return true;
    }
}
