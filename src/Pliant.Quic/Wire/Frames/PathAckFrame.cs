namespace Pliant.Quic.Wire;

/// <summary>
/// PATH_ACK, 0x3e / 0x3f with ECN counts (draft-ietf-quic-multipath-21 §4.1): an ACK frame for the
/// packet number space of one path. After the Path Identifier the fields are ACK's (RFC 9000 §19.3),
/// read and validated by the same code as <see cref="AckFrame"/>; <see cref="Ack"/> exposes them.
/// </summary>
public readonly ref struct PathAckFrame : IWireFrame
{
    private PathAckFrame(uint pathId, AckFrame ack)
    {
        PathId = pathId;
        Ack = ack;
    }

    /// <summary>Path Identifier: the path whose packet number space is acknowledged.</summary>
    public uint PathId { get; }

    /// <summary>The ACK fields (Largest, ACK Delay, ranges, ECN counts), validated like an ACK frame's.</summary>
    public AckFrame Ack { get; }

    /// <summary>
    /// Reads a PATH_ACK (type 0x3e or 0x3f already consumed). Malformed or truncated ranges are a
    /// FRAME_ENCODING_ERROR (RFC 9000 §19.3.1); a path ID above 2^32-1 is a PROTOCOL_VIOLATION (§4).
    /// </summary>
    public static PathAckFrame Read(ref WireReader r, ulong frameType)
    {
        uint pathId = MultipathFrames.ReadPathId(ref r, frameType);
        return new PathAckFrame(pathId, AckFrame.ReadBody(ref r, frameType, frameType == (ulong)FrameType.PathAckEcn));
    }

    /// <summary>Bytes <see cref="Write(Span{byte})"/> produces.</summary>
    public int EncodedLength => MultipathFrames.HeaderLength(Type(Ack.Ecn), PathId) + Ack.BodyLength;

    /// <summary>Re-encodes this frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        int pos = MultipathFrames.WriteHeader(dest, Type(Ack.Ecn), PathId);
        return pos + Ack.WriteBody(dest[pos..]);
    }

    /// <summary>Bytes <see cref="Write(Span{byte}, uint, ReadOnlySpan{AckRange}, ulong, EcnCounts?)"/> produces.</summary>
    public static int GetEncodedLength(uint pathId, ReadOnlySpan<AckRange> rangesDescending, ulong ackDelayEncoded, EcnCounts? ecn) =>
        MultipathFrames.HeaderLength(Type(ecn), pathId) + AckFrame.GetBodyLength(rangesDescending, ackDelayEncoded, ecn);

    /// <summary>
    /// Writes a PATH_ACK (0x3f when <paramref name="ecn"/> is set) for <paramref name="pathId"/> and
    /// ranges sorted largest first, disjoint and non-adjacent. Returns bytes written.
    /// </summary>
    public static int Write(Span<byte> dest, uint pathId, ReadOnlySpan<AckRange> rangesDescending, ulong ackDelayEncoded, EcnCounts? ecn)
    {
        int pos = MultipathFrames.WriteHeader(dest, Type(ecn), pathId);
        return pos + AckFrame.WriteBody(dest[pos..], rangesDescending, ackDelayEncoded, ecn);
    }

    private static FrameType Type(EcnCounts? ecn) => ecn.HasValue ? FrameType.PathAckEcn : FrameType.PathAck;
}
