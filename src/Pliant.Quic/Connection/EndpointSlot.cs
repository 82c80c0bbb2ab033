namespace Pliant.Quic.Connection;

/// <summary>
/// The endpoint's bookkeeping for one connection (<see cref="QuicEndpointCore"/>): whether it is on the
/// active list, whether its last transmit poll found nothing, and the deadline it is filed under in the
/// timer heap. A pass then costs in proportion to the connections with something going on, not to all
/// of them (issue 17: 10,000 idle connections).
/// </summary>
internal struct EndpointSlot
{
    /// <summary>In the endpoint's list of connections (false before it is added and once it was removed).</summary>
    public bool Registered;

    /// <summary>On the endpoint's active list.</summary>
    public bool Active;

    /// <summary>The last <c>PollTransmit</c> found nothing to send and nothing happened since.</summary>
    public bool Quiet;

    /// <summary>Put on the active list by the periodic safety sweep, not by its own activity.</summary>
    public bool Swept;

    /// <summary>The deadline of its current timer-heap entry (older entries are stale), or <see cref="long.MaxValue"/>.</summary>
    public long FiledTimeoutUs;

    /// <summary>Its index in the endpoint's list of all connections (for O(1) removal).</summary>
    public int Index;
}
