namespace Pliant.Router;

/// <summary>
/// Every bound of the router's state (docs/routing.md, "Limits"). Defaults suit an edge router with tens of
/// thousands of connections; each table evicts its least recently used entry when full (counted), and every
/// entry expires after its idle timeout.
/// </summary>
public sealed class RouterLimits
{
    /// <summary>Defaults.</summary>
    public static RouterLimits Default { get; } = new();

    /// <summary>Client first-flight DCIDs remembered after the routing decision (until the server's IDs take over).</summary>
    public int MaxFirstFlights { get; init; } = 65_536;

    /// <summary>How long a first-flight DCID is kept without use (covers the handshake, with retransmissions).</summary>
    public TimeSpan FirstFlightTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First flights whose ClientHello is incomplete (spread over several Initial packets), held at once.</summary>
    public int MaxPendingFlights { get; init; } = 1_024;

    /// <summary>Bytes held for all pending first flights together (datagrams and reassembly buffers).</summary>
    public int MaxPendingBytes { get; init; } = 4 << 20;

    /// <summary>Datagrams held for one pending first flight.</summary>
    public int MaxHeldDatagramsPerFlight { get; init; } = 16;

    /// <summary>How long an incomplete first flight waits for its missing Initial packets.</summary>
    public TimeSpan PendingTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest ClientHello the router reassembles (larger ones are dropped, counted).</summary>
    public int MaxClientHelloBytes { get; init; } = 16_384;

    /// <summary>Connection IDs of foreign backends learned from their long-header packets.</summary>
    public int MaxLearnedIds { get; init; } = 65_536;

    /// <summary>How long a learned connection ID is kept without use.</summary>
    public TimeSpan LearnedIdTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Distinct connection ID lengths of foreign backends tried for short-header packets.</summary>
    public int MaxLearnedIdLengths { get; init; } = 4;

    /// <summary>Time between health probes of each backend; zero disables probing (every backend stays up).</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Unanswered probes in a row after which a backend is down.</summary>
    public int ProbesBeforeDown { get; init; } = 3;

    /// <summary>Throws <see cref="ArgumentException"/> for a value out of range.</summary>
    public void Validate()
    {
        static void Positive(int v, string name)
        {
            if (v < 1) throw new ArgumentException($"{name} must be at least 1");
        }
        Positive(MaxFirstFlights, nameof(MaxFirstFlights));
        Positive(MaxPendingFlights, nameof(MaxPendingFlights));
        Positive(MaxHeldDatagramsPerFlight, nameof(MaxHeldDatagramsPerFlight));
        Positive(MaxLearnedIds, nameof(MaxLearnedIds));
        Positive(MaxLearnedIdLengths, nameof(MaxLearnedIdLengths));
        Positive(ProbesBeforeDown, nameof(ProbesBeforeDown));
        if (MaxPendingBytes < 65_536) throw new ArgumentException("MaxPendingBytes must be at least 64 KiB");
        if (MaxClientHelloBytes is < 1_024 or > 65_536) throw new ArgumentException("MaxClientHelloBytes must be 1 KiB to 64 KiB");
        if (FirstFlightTimeout <= TimeSpan.Zero || PendingTimeout <= TimeSpan.Zero || LearnedIdTimeout <= TimeSpan.Zero)
            throw new ArgumentException("timeouts must be positive");
        if (ProbeInterval < TimeSpan.Zero) throw new ArgumentException("ProbeInterval must not be negative");
    }
}
