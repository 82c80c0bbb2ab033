using System.Globalization;

namespace Pliant.Cli.Relay;

/// <summary>Which way a datagram travels through the relay.</summary>
public enum RelayDirection
{
    /// <summary>From a client to the server ("up").</summary>
    ClientToServer = 0,

    /// <summary>From the server back to a client ("down").</summary>
    ServerToClient = 1,
}

/// <summary>What the relay did with one datagram.</summary>
[Flags]
public enum RelayFate
{
    /// <summary>Sent on (possibly after a delay).</summary>
    Forwarded = 1,

    /// <summary>Dropped by random loss.</summary>
    Lost = 2,

    /// <summary>Forwarded with one byte flipped.</summary>
    Corrupted = 4,

    /// <summary>Forwarded, held back by the reorder delay.</summary>
    Reordered = 8,

    /// <summary>Dropped during a blackhole.</summary>
    Blackholed = 16,

    /// <summary>Dropped because the bottleneck queue was full.</summary>
    QueueDropped = 32,

    /// <summary>A client datagram after the first, dropped by <see cref="RelayOptions.LoseSecondFlight"/>.</summary>
    SecondFlightDropped = 64,
}

/// <summary>One recorded datagram of a flow (see <see cref="RelayOptions.TracePerFlow"/>).</summary>
/// <param name="Sequence">Relay-wide order in which datagrams were handled (a client datagram gets its number before it is sent on, so anything the server sends in answer has a larger one).</param>
/// <param name="Direction">Which way it travelled.</param>
/// <param name="Index">Its number in this flow and direction (0 = first).</param>
/// <param name="Size">UDP payload bytes.</param>
/// <param name="Fate">What the relay did with it.</param>
/// <param name="TimeMs">When the relay handled it, in milliseconds since the relay started.</param>
/// <param name="Packets">The QUIC packets it held before any corruption (<see cref="PacketKinds.Describe"/>), e.g. <c>I+H</c>.</param>
public readonly record struct RelayEvent(long Sequence, RelayDirection Direction, long Index, int Size, RelayFate Fate, double TimeMs, string Packets)
{
    /// <summary>One line: <c>seq time direction #index size packets fate</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Sequence,6} {TimeMs,10:0.000}ms {(Direction == RelayDirection.ClientToServer ? "up  " : "down")} #{Index,-5} {Size,5}B {Packets,-6} {Fate}");
}

/// <summary>A snapshot of what the relay did in one direction (of one flow or all flows). Byte counts are UDP payload bytes.</summary>
public readonly record struct RelayCounts(
    long Datagrams, long Bytes, long Forwarded, long ForwardedBytes, long Lost, long Corrupted, long Reordered,
    long Blackholed, long QueueDropped, long SecondFlightDropped, long SendErrors)
{
    /// <summary>Sums two snapshots.</summary>
    public static RelayCounts operator +(RelayCounts a, RelayCounts b) => new(
        a.Datagrams + b.Datagrams, a.Bytes + b.Bytes, a.Forwarded + b.Forwarded, a.ForwardedBytes + b.ForwardedBytes, a.Lost + b.Lost,
        a.Corrupted + b.Corrupted, a.Reordered + b.Reordered, a.Blackholed + b.Blackholed, a.QueueDropped + b.QueueDropped,
        a.SecondFlightDropped + b.SecondFlightDropped, a.SendErrors + b.SendErrors);

    /// <summary>Sums two snapshots (for languages without operators).</summary>
    public static RelayCounts Add(RelayCounts a, RelayCounts b) => a + b;

    /// <summary>One line: <c>in=N/BYTES fwd=N/BYTES lost=N corrupted=N reordered=N blackholed=N queue-dropped=N flight-dropped=N</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"in={Datagrams}/{Bytes} fwd={Forwarded}/{ForwardedBytes} lost={Lost} corrupted={Corrupted} reordered={Reordered} blackholed={Blackholed} queue-dropped={QueueDropped} flight-dropped={SecondFlightDropped}{(SendErrors > 0 ? $" send-errors={SendErrors}" : "")}");
}

/// <summary>Live counters of one direction of one flow (updated with Interlocked; read with <see cref="Snapshot"/>).</summary>
internal sealed class RelayCounters
{
    private long _datagrams, _bytes, _forwarded, _forwardedBytes, _lost, _corrupted, _reordered, _blackholed, _queueDropped, _secondFlight, _sendErrors;

    public void Received(int size)
    {
        Interlocked.Increment(ref _datagrams);
        Interlocked.Add(ref _bytes, size);
    }

    public void Sent(int size)
    {
        Interlocked.Increment(ref _forwarded);
        Interlocked.Add(ref _forwardedBytes, size);
    }

    public void Count(RelayFate fate)
    {
        if ((fate & RelayFate.Lost) != 0) Interlocked.Increment(ref _lost);
        if ((fate & RelayFate.Corrupted) != 0) Interlocked.Increment(ref _corrupted);
        if ((fate & RelayFate.Reordered) != 0) Interlocked.Increment(ref _reordered);
        if ((fate & RelayFate.Blackholed) != 0) Interlocked.Increment(ref _blackholed);
        if ((fate & RelayFate.QueueDropped) != 0) Interlocked.Increment(ref _queueDropped);
        if ((fate & RelayFate.SecondFlightDropped) != 0) Interlocked.Increment(ref _secondFlight);
    }

    /// <summary>Takes back a <see cref="Sent"/> whose send failed.</summary>
    public void SendFailed(int size)
    {
        Interlocked.Decrement(ref _forwarded);
        Interlocked.Add(ref _forwardedBytes, -size);
        Interlocked.Increment(ref _sendErrors);
    }

    public RelayCounts Snapshot() => new(
        Interlocked.Read(ref _datagrams), Interlocked.Read(ref _bytes), Interlocked.Read(ref _forwarded), Interlocked.Read(ref _forwardedBytes),
        Interlocked.Read(ref _lost), Interlocked.Read(ref _corrupted), Interlocked.Read(ref _reordered), Interlocked.Read(ref _blackholed),
        Interlocked.Read(ref _queueDropped), Interlocked.Read(ref _secondFlight), Interlocked.Read(ref _sendErrors));
}
