namespace Pliant.Quic.Wire;

/// <summary>MAX_DATA (RFC 9000 §19.9).</summary>
public readonly record struct MaxDataFrame(ulong Maximum) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static MaxDataFrame Read(ref WireReader r, ulong frameType)
    {
        _ = frameType;
        return new MaxDataFrame(r.ReadVarInt());
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + VarInt.Length(Maximum);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)FrameType.MaxData;
        return 1 + VarInt.Write(dest[1..], Maximum);
    }
}

/// <summary>MAX_STREAM_DATA (RFC 9000 §19.10).</summary>
public readonly record struct MaxStreamDataFrame(ulong StreamId, ulong Maximum) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static MaxStreamDataFrame Read(ref WireReader r, ulong frameType)
    {
        _ = frameType;
        return new MaxStreamDataFrame(r.ReadVarInt(), r.ReadVarInt());
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + VarInt.Length(StreamId) + VarInt.Length(Maximum);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)FrameType.MaxStreamData;
        int pos = 1 + VarInt.Write(dest[1..], StreamId);
        return pos + VarInt.Write(dest[pos..], Maximum);
    }
}

/// <summary>MAX_STREAMS, 0x12 bidirectional / 0x13 unidirectional (RFC 9000 §19.11).</summary>
public readonly record struct MaxStreamsFrame(bool Bidirectional, ulong Maximum) : IWireFrame
{
    /// <summary>Largest stream count (RFC 9000 §19.11: 2^60).</summary>
    public const ulong MaxCount = 1UL << 60;

    /// <summary>Reads the frame (type already consumed).</summary>
    public static MaxStreamsFrame Read(ref WireReader r, ulong frameType)
    {
        ulong max = r.ReadVarInt();
        // RFC 9000 §19.11: a value above 2^60 MUST be treated as FRAME_ENCODING_ERROR.
        if (max > MaxCount) throw FrameErrors.Encoding(frameType, "MAX_STREAMS above 2^60");
        return new MaxStreamsFrame(frameType == (ulong)FrameType.MaxStreamsBidi, max);
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + VarInt.Length(Maximum);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        if (Maximum > MaxCount) throw new InvalidOperationException("MAX_STREAMS above 2^60");
        dest[0] = (byte)(Bidirectional ? FrameType.MaxStreamsBidi : FrameType.MaxStreamsUni);
        return 1 + VarInt.Write(dest[1..], Maximum);
    }
}

/// <summary>DATA_BLOCKED (RFC 9000 §19.12).</summary>
public readonly record struct DataBlockedFrame(ulong Limit) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static DataBlockedFrame Read(ref WireReader r, ulong frameType)
    {
        _ = frameType;
        return new DataBlockedFrame(r.ReadVarInt());
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + VarInt.Length(Limit);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)FrameType.DataBlocked;
        return 1 + VarInt.Write(dest[1..], Limit);
    }
}

/// <summary>STREAM_DATA_BLOCKED (RFC 9000 §19.13).</summary>
public readonly record struct StreamDataBlockedFrame(ulong StreamId, ulong Limit) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static StreamDataBlockedFrame Read(ref WireReader r, ulong frameType)
    {
        _ = frameType;
        return new StreamDataBlockedFrame(r.ReadVarInt(), r.ReadVarInt());
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + VarInt.Length(StreamId) + VarInt.Length(Limit);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)FrameType.StreamDataBlocked;
        int pos = 1 + VarInt.Write(dest[1..], StreamId);
        return pos + VarInt.Write(dest[pos..], Limit);
    }
}

/// <summary>STREAMS_BLOCKED, 0x16 bidirectional / 0x17 unidirectional (RFC 9000 §19.14).</summary>
public readonly record struct StreamsBlockedFrame(bool Bidirectional, ulong Limit) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static StreamsBlockedFrame Read(ref WireReader r, ulong frameType)
    {
        ulong limit = r.ReadVarInt();
        // RFC 9000 §19.14: a value above 2^60 MUST be treated as FRAME_ENCODING_ERROR.
        if (limit > MaxStreamsFrame.MaxCount) throw FrameErrors.Encoding(frameType, "STREAMS_BLOCKED above 2^60");
        return new StreamsBlockedFrame(frameType == (ulong)FrameType.StreamsBlockedBidi, limit);
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + VarInt.Length(Limit);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        if (Limit > MaxStreamsFrame.MaxCount) throw new InvalidOperationException("STREAMS_BLOCKED above 2^60");
        dest[0] = (byte)(Bidirectional ? FrameType.StreamsBlockedBidi : FrameType.StreamsBlockedUni);
        return 1 + VarInt.Write(dest[1..], Limit);
    }
}
