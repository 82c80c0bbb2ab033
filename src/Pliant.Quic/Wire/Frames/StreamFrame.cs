namespace Pliant.Quic.Wire;

/// <summary>STREAM, types 0x08–0x0f (RFC 9000 §19.8): OFF = 0x04, LEN = 0x02, FIN = 0x01.</summary>
public readonly ref struct StreamFrame : IWireFrame
{
    /// <summary>OFF bit of the type.</summary>
    public const byte OffBit = 0x04;
    /// <summary>LEN bit of the type.</summary>
    public const byte LenBit = 0x02;
    /// <summary>FIN bit of the type.</summary>
    public const byte FinBit = 0x01;

    /// <summary>A frame to write or as read.</summary>
    public StreamFrame(ulong streamId, ulong offset, ReadOnlySpan<byte> data, bool fin, bool hasLength)
    {
        StreamId = streamId;
        Offset = offset;
        Data = data;
        Fin = fin;
        HasLength = hasLength;
    }

    /// <summary>Stream ID.</summary>
    public ulong StreamId { get; }

    /// <summary>Offset of <see cref="Data"/> in the stream.</summary>
    public ulong Offset { get; }

    /// <summary>Stream data (a slice of the packet).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>True when this frame ends the stream.</summary>
    public bool Fin { get; }

    /// <summary>True when the frame carries a Length field (otherwise it runs to the end of the packet).</summary>
    public bool HasLength { get; }

    /// <summary>Reads a STREAM frame (type already consumed).</summary>
    public static StreamFrame Read(ref WireReader r, ulong frameType)
    {
        ulong id = r.ReadVarInt();
        ulong offset = (frameType & OffBit) != 0 ? r.ReadVarInt() : 0;
        bool hasLength = (frameType & LenBit) != 0;
        // Without LEN the data extends to the end of the packet (RFC 9000 §19.8).
        ReadOnlySpan<byte> data = r.ReadBytes(hasLength ? r.ReadVarIntLength() : r.Remaining);
        // RFC 9000 §19.8: offset + length must not exceed 2^62-1.
        if (offset + (ulong)data.Length > VarInt.Max)
            throw FrameErrors.Encoding(frameType, "STREAM frame beyond 2^62-1");
        return new StreamFrame(id, offset, data, (frameType & FinBit) != 0, hasLength);
    }

    /// <summary>Bytes <see cref="Write(Span{byte})"/> produces.</summary>
    public int EncodedLength => HeaderLength(StreamId, Offset, Data.Length, HasLength) + Data.Length;

    /// <summary>Writes this frame.</summary>
    public int Write(Span<byte> dest) => Write(dest, StreamId, Offset, Data, Fin, HasLength);

    /// <summary>Bytes of a STREAM frame before its data.</summary>
    public static int HeaderLength(ulong streamId, ulong offset, int dataLength, bool withLength) =>
        1 + VarInt.Length(streamId) + (offset != 0 ? VarInt.Length(offset) : 0) + (withLength ? VarInt.Length((ulong)dataLength) : 0);

    /// <summary>Writes a STREAM frame (OFF set when <paramref name="offset"/> ≠ 0); returns bytes written.</summary>
    public static int Write(Span<byte> dest, ulong streamId, ulong offset, ReadOnlySpan<byte> data, bool fin, bool withLength)
    {
        int pos = WriteHeader(dest, streamId, offset, data.Length, fin, withLength ? VarInt.Length((ulong)data.Length) : 0);
        data.CopyTo(dest[pos..]);
        return pos + data.Length;
    }

    /// <summary>
    /// Writes the header of a STREAM frame carrying <paramref name="dataLength"/> bytes, for senders
    /// that copy the data in place after it. <paramref name="lengthFieldSize"/> is 0 (no Length field:
    /// the data runs to the end of the packet) or the varint size (1, 2, 4, 8) to encode the length with.
    /// </summary>
    public static int WriteHeader(Span<byte> dest, ulong streamId, ulong offset, int dataLength, bool fin, int lengthFieldSize)
    {
        // RFC 9000 §19.8: offset + length must not exceed 2^62-1.
        if (offset + (ulong)dataLength > VarInt.Max) throw new ArgumentOutOfRangeException(nameof(offset));
        bool withLength = lengthFieldSize > 0;
        byte type = (byte)((byte)FrameType.Stream | (offset != 0 ? OffBit : 0) | (withLength ? LenBit : 0) | (fin ? FinBit : 0));
        int pos = 0;
        dest[pos++] = type;
        pos += VarInt.Write(dest[pos..], streamId);
        if (offset != 0) pos += VarInt.Write(dest[pos..], offset);
        if (withLength)
        {
            VarInt.WriteWithLength(dest[pos..], (ulong)dataLength, lengthFieldSize);
            pos += lengthFieldSize;
        }
        return pos;
    }

    /// <summary>
    /// Most data bytes a STREAM frame can carry in <paramref name="space"/> bytes; 0 when not even the
    /// header (with an empty payload) fits or exactly fits.
    /// </summary>
    public static int MaxDataThatFits(int space, ulong streamId, ulong offset, bool withLength)
    {
        int avail = space - HeaderLength(streamId, offset, 0, false);
        return FrameSizing.FitWithLength(avail, withLength);
    }
}

/// <summary>Sizing helper for frames with an optional varint Length before the data.</summary>
internal static class FrameSizing
{
    /// <summary>Largest n with n + (withLength ? len(n) : 0) ≤ avail.</summary>
    public static int FitWithLength(int avail, bool withLength)
    {
        if (avail <= 0) return 0;
        if (!withLength) return avail;
        foreach (int lenBytes in (ReadOnlySpan<int>)[1, 2, 4])
        {
            int n = avail - lenBytes;
            if (n <= 0) return 0;
            if (VarInt.Length((ulong)n) <= lenBytes) return n;
        }
        return avail - 8;
    }
}
