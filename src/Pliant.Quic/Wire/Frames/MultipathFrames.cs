namespace Pliant.Quic.Wire;

/// <summary>
/// Path identifiers in the multipath frames (draft-ietf-quic-multipath-21 §2.1, §4) and the limit
/// checks a connection applies to them once it knows the limits it announced.
/// </summary>
public static class MultipathFrames
{
    /// <summary>
    /// The largest path ID, 2^32-1 (draft-ietf-quic-multipath-21 §2.1: the nonce holds 32 bits of
    /// path ID, §2.4).
    /// </summary>
    public const uint MaxPathId = uint.MaxValue;

    /// <summary>
    /// Reads a Path Identifier or Maximum Path Identifier field. A value above 2^32-1 exceeds every
    /// maximum an endpoint can announce (initial_max_path_id and MAX_PATH_ID are at most 2^32-1), so
    /// it is a PROTOCOL_VIOLATION (draft-ietf-quic-multipath-21 §4, §4.6, §4.7); a truncated field is
    /// the reader's FRAME_ENCODING_ERROR.
    /// </summary>
    internal static uint ReadPathId(ref WireReader r, ulong frameType)
    {
        ulong value = r.ReadVarInt();
        if (value > MaxPathId)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "path ID above 2^32-1", frameType);
        return (uint)value;
    }

    /// <summary>
    /// draft-ietf-quic-multipath-21 §4: a multipath frame whose path ID is greater than the maximum
    /// this endpoint announced (its latest MAX_PATH_ID, else its initial_max_path_id) is a connection
    /// error of type PROTOCOL_VIOLATION. For PATHS_BLOCKED pass its Maximum Path Identifier (§4.7).
    /// </summary>
    /// <param name="pathId">The frame's Path Identifier (or PATHS_BLOCKED's Maximum Path Identifier).</param>
    /// <param name="localMaxPathId">The maximum path ID this endpoint has announced.</param>
    /// <param name="frameType">The frame type, carried in the exception.</param>
    public static void CheckPathIdLimit(uint pathId, uint localMaxPathId, ulong frameType)
    {
        if (pathId > localMaxPathId)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation,
                $"path ID {pathId} above the announced maximum {localMaxPathId}", frameType);
    }

    /// <summary>
    /// draft-ietf-quic-multipath-21 §4.6: a MAX_PATH_ID below the peer's initial_max_path_id is an
    /// invalid Maximum Path Identifier, a PROTOCOL_VIOLATION. (One that is merely below an earlier
    /// MAX_PATH_ID is reordering and is ignored by the caller, not an error.)
    /// </summary>
    /// <param name="maximumPathId">The received frame's Maximum Path Identifier.</param>
    /// <param name="peerInitialMaxPathId">The peer's initial_max_path_id transport parameter.</param>
    public static void CheckMaxPathIdNotBelowInitial(uint maximumPathId, uint peerInitialMaxPathId)
    {
        if (maximumPathId < peerInitialMaxPathId)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation,
                $"MAX_PATH_ID {maximumPathId} below initial_max_path_id {peerInitialMaxPathId}", (ulong)FrameType.MaxPathId);
    }

    /// <summary>
    /// Writes a multipath frame's type (1 byte for PATH_ACK, 2 bytes for 0x3e75–0x3e7c) and its first
    /// field, a (Maximum) Path Identifier; returns bytes written.
    /// </summary>
    internal static int WriteHeader(Span<byte> dest, FrameType type, uint pathId)
    {
        int pos = VarInt.Write(dest, (ulong)type);
        return pos + VarInt.Write(dest[pos..], pathId);
    }

    /// <summary>Bytes <see cref="WriteHeader"/> writes.</summary>
    internal static int HeaderLength(FrameType type, uint pathId) => VarInt.Length((ulong)type) + VarInt.Length(pathId);

    /// <summary>Writes type, path ID and one more varint (the layout of four multipath frames); returns bytes written.</summary>
    internal static int WriteHeaderAndValue(Span<byte> dest, FrameType type, uint pathId, ulong value)
    {
        int pos = WriteHeader(dest, type, pathId);
        return pos + VarInt.Write(dest[pos..], value);
    }
}
