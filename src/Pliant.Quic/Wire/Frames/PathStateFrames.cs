namespace Pliant.Quic.Wire;

/// <summary>
/// PATH_ABANDON, 0x3e75 (draft-ietf-quic-multipath-21 §4.2). <see cref="ErrorCode"/> is a transport
/// error code: NO_ERROR or one of the path codes of §4.2.1 (<see cref="TransportErrorCode.ApplicationAbandonPath"/>,
/// <see cref="TransportErrorCode.PathResourceLimitReached"/>, <see cref="TransportErrorCode.PathUnstableOrPoor"/>,
/// <see cref="TransportErrorCode.NoCidAvailableForPath"/>); any 62-bit value is accepted on receipt.
/// </summary>
public readonly record struct PathAbandonFrame(uint PathId, ulong ErrorCode) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed); a path ID above 2^32-1 is a PROTOCOL_VIOLATION (§4).</summary>
    public static PathAbandonFrame Read(ref WireReader r, ulong frameType)
    {
        uint pathId = MultipathFrames.ReadPathId(ref r, frameType);
        return new PathAbandonFrame(pathId, r.ReadVarInt());
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => MultipathFrames.HeaderLength(FrameType.PathAbandon, PathId) + VarInt.Length(ErrorCode);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest) => MultipathFrames.WriteHeaderAndValue(dest, FrameType.PathAbandon, PathId, ErrorCode);
}

/// <summary>
/// PATH_STATUS_AVAILABLE 0x3e77 (<see cref="Available"/> true) and PATH_STATUS_BACKUP 0x3e76
/// (false) (draft-ietf-quic-multipath-21 §4.3). Both share one per-path sequence number space; the
/// receiver ignores a frame whose sequence number is not above the last one seen for the path.
/// </summary>
public readonly record struct PathStatusFrame(uint PathId, ulong SequenceNumber, bool Available) : IWireFrame
{
    /// <summary>Reads the frame (type 0x3e76 or 0x3e77 already consumed); a path ID above 2^32-1 is a PROTOCOL_VIOLATION (§4).</summary>
    public static PathStatusFrame Read(ref WireReader r, ulong frameType)
    {
        uint pathId = MultipathFrames.ReadPathId(ref r, frameType);
        return new PathStatusFrame(pathId, r.ReadVarInt(), frameType == (ulong)FrameType.PathStatusAvailable);
    }

    private FrameType Type => Available ? FrameType.PathStatusAvailable : FrameType.PathStatusBackup;

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => MultipathFrames.HeaderLength(Type, PathId) + VarInt.Length(SequenceNumber);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest) => MultipathFrames.WriteHeaderAndValue(dest, Type, PathId, SequenceNumber);
}
