namespace Pliant.Quic.Wire;

/// <summary>RESET_STREAM (RFC 9000 §19.4).</summary>
public readonly record struct ResetStreamFrame(ulong StreamId, ulong ApplicationErrorCode, ulong FinalSize) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static ResetStreamFrame Read(ref WireReader r, ulong frameType)
    {
        _ = frameType;
        return new ResetStreamFrame(r.ReadVarInt(), r.ReadVarInt(), r.ReadVarInt());
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + VarInt.Length(StreamId) + VarInt.Length(ApplicationErrorCode) + VarInt.Length(FinalSize);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)FrameType.ResetStream;
        int pos = 1 + VarInt.Write(dest[1..], StreamId);
        pos += VarInt.Write(dest[pos..], ApplicationErrorCode);
        return pos + VarInt.Write(dest[pos..], FinalSize);
    }
}

/// <summary>STOP_SENDING (RFC 9000 §19.5).</summary>
public readonly record struct StopSendingFrame(ulong StreamId, ulong ApplicationErrorCode) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static StopSendingFrame Read(ref WireReader r, ulong frameType)
    {
        _ = frameType;
        return new StopSendingFrame(r.ReadVarInt(), r.ReadVarInt());
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + VarInt.Length(StreamId) + VarInt.Length(ApplicationErrorCode);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)FrameType.StopSending;
        int pos = 1 + VarInt.Write(dest[1..], StreamId);
        return pos + VarInt.Write(dest[pos..], ApplicationErrorCode);
    }
}
