namespace Pliant.Quic.Wire;

/// <summary>
/// PATH_NEW_CONNECTION_ID, 0x3e78 (draft-ietf-quic-multipath-21 §4.4): NEW_CONNECTION_ID
/// (RFC 9000 §19.15) for one path; sequence numbers and Retire Prior To apply per path.
/// </summary>
public readonly ref struct PathNewConnectionIdFrame : IWireFrame
{
    private readonly NewConnectionIdFrame _fields;

    /// <summary>A frame to write or as read; <paramref name="statelessResetToken"/> must be 16 bytes.</summary>
    public PathNewConnectionIdFrame(uint pathId, ulong sequenceNumber, ulong retirePriorTo, ConnectionId connectionId, ReadOnlySpan<byte> statelessResetToken)
        : this(pathId, new NewConnectionIdFrame(sequenceNumber, retirePriorTo, connectionId, statelessResetToken))
    {
    }

    private PathNewConnectionIdFrame(uint pathId, NewConnectionIdFrame fields)
    {
        PathId = pathId;
        _fields = fields;
    }

    /// <summary>Path Identifier: the only path the connection ID may be used on.</summary>
    public uint PathId { get; }

    /// <summary>Sequence Number within the path's connection ID sequence.</summary>
    public ulong SequenceNumber => _fields.SequenceNumber;

    /// <summary>Retire Prior To, for this path's connection IDs only.</summary>
    public ulong RetirePriorTo => _fields.RetirePriorTo;

    /// <summary>The new connection ID (1–20 bytes).</summary>
    public ConnectionId ConnectionId => _fields.ConnectionId;

    /// <summary>The 16-byte stateless reset token (a slice of the packet).</summary>
    public ReadOnlySpan<byte> StatelessResetToken => _fields.StatelessResetToken;

    /// <summary>
    /// Reads the frame (type already consumed): a path ID above 2^32-1 is a PROTOCOL_VIOLATION (§4);
    /// Retire Prior To above Sequence Number, a connection ID length outside 1–20 and truncation are
    /// FRAME_ENCODING_ERRORs (RFC 9000 §19.15, applied per path by §4.4).
    /// </summary>
    public static PathNewConnectionIdFrame Read(ref WireReader r, ulong frameType)
    {
        uint pathId = MultipathFrames.ReadPathId(ref r, frameType);
        return new PathNewConnectionIdFrame(pathId, NewConnectionIdFrame.Read(ref r, frameType));
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => MultipathFrames.HeaderLength(FrameType.PathNewConnectionId, PathId) + _fields.BodyLength;

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        int pos = MultipathFrames.WriteHeader(dest, FrameType.PathNewConnectionId, PathId);
        return pos + _fields.WriteBody(dest[pos..]);
    }
}

/// <summary>
/// PATH_RETIRE_CONNECTION_ID, 0x3e79 (draft-ietf-quic-multipath-21 §4.5): RETIRE_CONNECTION_ID
/// (RFC 9000 §19.16) for one path's connection ID sequence.
/// </summary>
public readonly record struct PathRetireConnectionIdFrame(uint PathId, ulong SequenceNumber) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed); a path ID above 2^32-1 is a PROTOCOL_VIOLATION (§4).</summary>
    public static PathRetireConnectionIdFrame Read(ref WireReader r, ulong frameType)
    {
        uint pathId = MultipathFrames.ReadPathId(ref r, frameType);
        return new PathRetireConnectionIdFrame(pathId, r.ReadVarInt());
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => MultipathFrames.HeaderLength(FrameType.PathRetireConnectionId, PathId) + VarInt.Length(SequenceNumber);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest) => MultipathFrames.WriteHeaderAndValue(dest, FrameType.PathRetireConnectionId, PathId, SequenceNumber);
}
