namespace Pliant.Quic.Wire;

/// <summary>CRYPTO (RFC 9000 §19.6).</summary>
public readonly ref struct CryptoFrame : IWireFrame
{
    /// <summary>A frame to write or as read.</summary>
    public CryptoFrame(ulong offset, ReadOnlySpan<byte> data)
    {
        Offset = offset;
        Data = data;
    }

    /// <summary>Offset in the crypto stream of this level.</summary>
    public ulong Offset { get; }

    /// <summary>Crypto data (a slice of the packet).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Reads a CRYPTO frame (type already consumed).</summary>
    public static CryptoFrame Read(ref WireReader r, ulong frameType)
    {
        ulong offset = r.ReadVarInt();
        ReadOnlySpan<byte> data = r.ReadBytes(r.ReadVarIntLength());
        // RFC 9000 §19.6: offset + length above 2^62-1 → FRAME_ENCODING_ERROR (or CRYPTO_BUFFER_EXCEEDED).
        if (offset + (ulong)data.Length > VarInt.Max)
            throw FrameErrors.Encoding(frameType, "CRYPTO frame beyond 2^62-1");
        return new CryptoFrame(offset, data);
    }

    /// <summary>Bytes <see cref="Write(Span{byte})"/> produces.</summary>
    public int EncodedLength => HeaderLength(Offset, Data.Length) + Data.Length;

    /// <summary>Writes this frame.</summary>
    public int Write(Span<byte> dest) => Write(dest, Offset, Data);

    /// <summary>Bytes of a CRYPTO frame before its data.</summary>
    public static int HeaderLength(ulong offset, int dataLength) =>
        1 + VarInt.Length(offset) + VarInt.Length((ulong)dataLength);

    /// <summary>Writes a CRYPTO frame; returns bytes written.</summary>
    public static int Write(Span<byte> dest, ulong offset, ReadOnlySpan<byte> data)
    {
        int pos = WriteHeader(dest, offset, data.Length);
        data.CopyTo(dest[pos..]);
        return pos + data.Length;
    }

    /// <summary>Writes the header of a CRYPTO frame carrying <paramref name="dataLength"/> bytes (the data is copied after it by the caller).</summary>
    public static int WriteHeader(Span<byte> dest, ulong offset, int dataLength)
    {
        if (offset + (ulong)dataLength > VarInt.Max) throw new ArgumentOutOfRangeException(nameof(offset));
        int pos = 0;
        dest[pos++] = (byte)FrameType.Crypto;
        pos += VarInt.Write(dest[pos..], offset);
        pos += VarInt.Write(dest[pos..], (ulong)dataLength);
        return pos;
    }

    /// <summary>Most data bytes a CRYPTO frame at <paramref name="offset"/> can carry in <paramref name="space"/> bytes.</summary>
    public static int MaxDataThatFits(int space, ulong offset) =>
        FrameSizing.FitWithLength(space - 1 - VarInt.Length(offset), true);
}
