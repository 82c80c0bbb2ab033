namespace Pliant.Router;

/// <summary>The router's state: entries per table and their approximate memory (the <c>--stats</c> line and <c>pliant bench --route</c>).</summary>
public readonly record struct RouterState(int FirstFlights, int PendingFlights, int PendingBytes, int LearnedIds)
{
    /// <summary>
    /// Managed memory per first-flight entry (dictionary slot, list node, entry object, route record, client index slot),
    /// an upper bound of what <c>StateMemoryTests</c> measures (≈ 315 bytes with an IPv4 client).
    /// </summary>
    public const int FirstFlightEntryBytes = 360;

    /// <summary>Managed memory per learned connection ID (dictionary slot, list node, entry object): an upper bound of what <c>StateMemoryTests</c> measures (≈ 145 bytes).</summary>
    public const int LearnedEntryBytes = 200;

    /// <summary>Approximate bytes of all tables together.</summary>
    public long Bytes => (long)FirstFlights * FirstFlightEntryBytes + PendingBytes + (long)LearnedIds * LearnedEntryBytes;
}

public sealed partial class QuicRouter
{
    /// <summary>A snapshot of the table sizes.</summary>
    public RouterState State
    {
        get
        {
            lock (_lock) return new RouterState(_firstFlights.Count, _pending.Count, _pendingBytes, _learned.Count);
        }
    }

    /// <summary>Expires idle entries: first flights, pending first flights (their held datagrams are dropped, counted), learned IDs.</summary>
    public void HandleTimeout(long nowUs)
    {
        lock (_lock)
        {
            _firstFlights.Expire(nowUs, (long)_limits.FirstFlightTimeout.TotalMicroseconds, OnFirstFlightEvicted);
            _pending.Expire(nowUs, (long)_limits.PendingTimeout.TotalMicroseconds, (dcid, flight) => DropFlight(dcid, flight));
            _learned.Expire(nowUs, (long)_limits.LearnedIdTimeout.TotalMicroseconds);
        }
    }
}
