namespace Pliant.Quic.Streams;

/// <summary>
/// Credit the peer granted us for one stream or the connection (RFC 9000 §4.1): the limit from
/// transport parameters raised by MAX_DATA / MAX_STREAM_DATA, and how much of it we used.
/// Also remembers at which limit we last reported being blocked, so a *_BLOCKED frame goes out
/// once per limit (RFC 9000 §4.1).
/// </summary>
public sealed class FlowControlSender
{
    /// <summary>Creates a sender side with the initial limit.</summary>
    public FlowControlSender(ulong initialLimit) => Limit = initialLimit;

    /// <summary>The maximum offset (stream) or sum of offsets (connection) we may send.</summary>
    public ulong Limit { get; private set; }

    /// <summary>Credit used so far.</summary>
    public ulong Used { get; private set; }

    /// <summary>Credit left.</summary>
    public ulong Available => Limit > Used ? Limit - Used : 0;

    /// <summary>The limit at which a *_BLOCKED frame was last queued, if any.</summary>
    public ulong? BlockedReportedAt { get; private set; }

    /// <summary>
    /// Applies a new limit from the peer; returns true if it grew. Lower values are ignored
    /// (RFC 9000 §19.9: frames that do not increase the limit are ignored).
    /// </summary>
    public bool OnMaxUpdate(ulong limit)
    {
        if (limit <= Limit) return false;
        Limit = limit;
        return true;
    }

    /// <summary>Uses <paramref name="bytes"/> of credit.</summary>
    public void Consume(ulong bytes)
    {
        if (Used + bytes > Limit) throw new InvalidOperationException("Flow-control credit exceeded.");
        Used += bytes;
    }

    /// <summary>
    /// True (once per limit) if we are blocked at the current limit and should tell the peer.
    /// </summary>
    public bool ShouldReportBlocked()
    {
        if (Available > 0 || BlockedReportedAt == Limit) return false;
        BlockedReportedAt = Limit;
        return true;
    }
}
