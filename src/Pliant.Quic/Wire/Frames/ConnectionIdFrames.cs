namespace Pliant.Quic.Wire;

/// <summary>NEW_CONNECTION_ID (RFC 9000 §19.15).</summary>
public readonly ref struct NewConnectionIdFrame : IWireFrame
{
    /// <summary>Length of a stateless reset token.</summary>
    public const int ResetTokenLength = 16;

    /// <summary>A frame to write or as read; <paramref name="statelessResetToken"/> must be 16 bytes.</summary>
    public NewConnectionIdFrame(ulong sequenceNumber, ulong retirePriorTo, ConnectionId connectionId, ReadOnlySpan<byte> statelessResetToken)
    {
        if (statelessResetToken.Length != ResetTokenLength) throw new ArgumentException("stateless reset tokens are 16 bytes", nameof(statelessResetToken));
        SequenceNumber = sequenceNumber;
        RetirePriorTo = retirePriorTo;
        ConnectionId = connectionId;
        StatelessResetToken = statelessResetToken;
    }

    /// <summary>Sequence Number.</summary>
    public ulong SequenceNumber { get; }

    /// <summary>Retire Prior To.</summary>
    public ulong RetirePriorTo { get; }

    /// <summary>The new connection ID (1–20 bytes).</summary>
    public ConnectionId ConnectionId { get; }

    /// <summary>The 16-byte stateless reset token (a slice of the packet).</summary>
    public ReadOnlySpan<byte> StatelessResetToken { get; }

    /// <summary>
    /// Reads the frame (type already consumed). Also reads PATH_NEW_CONNECTION_ID's fields after its
    /// Path Identifier (draft-ietf-quic-multipath-21 §4.4: the same layout and rules, per path).
    /// </summary>
    public static NewConnectionIdFrame Read(ref WireReader r, ulong frameType)
    {
        ulong seq = r.ReadVarInt();
        ulong retire = r.ReadVarInt();
        // RFC 9000 §19.15: Retire Prior To greater than Sequence Number → FRAME_ENCODING_ERROR.
        if (retire > seq) throw FrameErrors.Encoding(frameType, "retire_prior_to above sequence number");
        int len = r.ReadByte();
        // RFC 9000 §19.15: length below 1 or above 20 → FRAME_ENCODING_ERROR.
        if (len is < 1 or > ConnectionId.MaxLength) throw FrameErrors.Encoding(frameType, "bad connection ID length");
        var cid = new ConnectionId(r.ReadBytes(len));
        return new NewConnectionIdFrame(seq, retire, cid, r.ReadBytes(ResetTokenLength));
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + BodyLength;

    /// <summary>Bytes from Sequence Number to the end (what <see cref="WriteBody"/> writes).</summary>
    internal int BodyLength => VarInt.Length(SequenceNumber) + VarInt.Length(RetirePriorTo) + 1 + ConnectionId.Length + ResetTokenLength;

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)FrameType.NewConnectionId;
        return 1 + WriteBody(dest[1..]);
    }

    /// <summary>Writes the fields from Sequence Number on (shared with PATH_NEW_CONNECTION_ID); returns bytes written.</summary>
    internal int WriteBody(Span<byte> dest)
    {
        if (ConnectionId.Length == 0) throw new InvalidOperationException("NEW_CONNECTION_ID needs a non-empty connection ID");
        if (RetirePriorTo > SequenceNumber) throw new InvalidOperationException("retire_prior_to above sequence number");
        int pos = VarInt.Write(dest, SequenceNumber);
        pos += VarInt.Write(dest[pos..], RetirePriorTo);
        dest[pos++] = (byte)ConnectionId.Length;
        ConnectionId.Span.CopyTo(dest[pos..]);
        pos += ConnectionId.Length;
        StatelessResetToken.CopyTo(dest[pos..]);
        return pos + ResetTokenLength;
    }
}

/// <summary>RETIRE_CONNECTION_ID (RFC 9000 §19.16).</summary>
public readonly record struct RetireConnectionIdFrame(ulong SequenceNumber) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static RetireConnectionIdFrame Read(ref WireReader r, ulong frameType)
    {
        _ = frameType;
        return new RetireConnectionIdFrame(r.ReadVarInt());
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + VarInt.Length(SequenceNumber);

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)FrameType.RetireConnectionId;
        return 1 + VarInt.Write(dest[1..], SequenceNumber);
    }
}
