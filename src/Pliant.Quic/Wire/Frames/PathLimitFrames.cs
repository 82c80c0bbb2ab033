namespace Pliant.Quic.Wire;

/// <summary>
/// MAX_PATH_ID, 0x3e7a (draft-ietf-quic-multipath-21 §4.6): the largest path ID the sender accepts.
/// A value above 2^32-1 is a PROTOCOL_VIOLATION here; one below the sender's initial_max_path_id is
/// checked by the connection (<see cref="MultipathFrames.CheckMaxPathIdNotBelowInitial"/>).
/// </summary>
public readonly record struct MaxPathIdFrame(uint MaximumPathId) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static MaxPathIdFrame Read(ref WireReader r, ulong frameType) =>
        new(MultipathFrames.ReadPathId(ref r, frameType));

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => MultipathFrames.HeaderLength(FrameType.MaxPathId, MaximumPathId);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest) => MultipathFrames.WriteHeader(dest, FrameType.MaxPathId, MaximumPathId);
}

/// <summary>
/// PATHS_BLOCKED, 0x3e7b (draft-ietf-quic-multipath-21 §4.7): the sender is limited by the maximum
/// path ID it was allowed. Above 2^32-1 is a PROTOCOL_VIOLATION here; above the receiver's current
/// maximum is checked by the connection (<see cref="MultipathFrames.CheckPathIdLimit"/>).
/// </summary>
public readonly record struct PathsBlockedFrame(uint MaximumPathId) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static PathsBlockedFrame Read(ref WireReader r, ulong frameType) =>
        new(MultipathFrames.ReadPathId(ref r, frameType));

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => MultipathFrames.HeaderLength(FrameType.PathsBlocked, MaximumPathId);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest) => MultipathFrames.WriteHeader(dest, FrameType.PathsBlocked, MaximumPathId);
}

/// <summary>
/// PATH_CIDS_BLOCKED, 0x3e7c (draft-ietf-quic-multipath-21 §4.7): the sender has no unused
/// connection ID for <see cref="PathId"/>. A Next Sequence Number above the next one this endpoint
/// would issue for the path is a PROTOCOL_VIOLATION the connection checks (it knows that number).
/// </summary>
public readonly record struct PathCidsBlockedFrame(uint PathId, ulong NextSequenceNumber) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed); a path ID above 2^32-1 is a PROTOCOL_VIOLATION (§4).</summary>
    public static PathCidsBlockedFrame Read(ref WireReader r, ulong frameType)
    {
        uint pathId = MultipathFrames.ReadPathId(ref r, frameType);
        return new PathCidsBlockedFrame(pathId, r.ReadVarInt());
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => MultipathFrames.HeaderLength(FrameType.PathCidsBlocked, PathId) + VarInt.Length(NextSequenceNumber);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest) => MultipathFrames.WriteHeaderAndValue(dest, FrameType.PathCidsBlocked, PathId, NextSequenceNumber);
}
