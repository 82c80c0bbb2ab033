using System.Net;

namespace Pliant.Router;

/// <summary>Whether a backend takes new connections (<see cref="QuicRouter"/>'s health probes decide).</summary>
public enum BackendHealth
{
    /// <summary>Answering (or not probed yet): new connections may go to it.</summary>
    Up,

    /// <summary>Its last <see cref="RouterLimits.ProbesBeforeDown"/> probes went unanswered: new connections skip it; existing ones still reach it.</summary>
    Down,
}

/// <summary>
/// One QUIC server behind the router. A <em>Pliant</em> backend (<see cref="ForwardingHeader"/> true) gets every
/// datagram behind the forwarding header and answers the same way, so the router keeps nothing per connection
/// for it; any other QUIC server (a <em>foreign</em> backend, e.g. ngtcp2's gtlsserver) gets plain datagrams
/// from one router socket per client address (a flow), and the router learns its connection IDs from the
/// long-header packets it sends.
/// </summary>
public sealed class RouterBackend
{
    private long _connections, _toBackend, _toBackendBytes, _fromBackend, _fromBackendBytes;
    private int _health;

    /// <summary>Creates a backend description.</summary>
    public RouterBackend(IPEndPoint address, bool forwardingHeader, string? name = null)
    {
        Address = address ?? throw new ArgumentNullException(nameof(address));
        ForwardingHeader = forwardingHeader;
        Name = name ?? address.ToString();
    }

    /// <summary>Where its datagrams go.</summary>
    public IPEndPoint Address { get; }

    /// <summary>True for a Pliant backend that speaks the forwarding header.</summary>
    public bool ForwardingHeader { get; }

    /// <summary>A label for logs and statistics (its address unless named).</summary>
    public string Name { get; }

    /// <summary>Position in the router's backend list (set by the router).</summary>
    public int Index { get; internal set; }

    /// <summary>True when a QUIC-LB server ID maps to it: its connection IDs route without state, nothing is learned.</summary>
    public bool RoutableByQuicLb { get; internal set; }

    /// <summary>Up or down (health probes).</summary>
    public BackendHealth Health
    {
        get => (BackendHealth)Volatile.Read(ref _health);
        internal set => Volatile.Write(ref _health, (int)value);
    }

    /// <summary>New connections routed to it (first flights decided for it).</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Datagrams sent to it.</summary>
    public long DatagramsToBackend => Interlocked.Read(ref _toBackend);

    /// <summary>Bytes (QUIC datagrams, without any forwarding header) sent to it.</summary>
    public long BytesToBackend => Interlocked.Read(ref _toBackendBytes);

    /// <summary>Datagrams received from it.</summary>
    public long DatagramsFromBackend => Interlocked.Read(ref _fromBackend);

    /// <summary>Bytes received from it (without any forwarding header).</summary>
    public long BytesFromBackend => Interlocked.Read(ref _fromBackendBytes);

    internal void CountConnection() => Interlocked.Increment(ref _connections);

    /// <summary>Counts one datagram of <paramref name="bytes"/> bytes sent to the backend (the host calls it).</summary>
    public void CountToBackend(int bytes)
    {
        Interlocked.Increment(ref _toBackend);
        Interlocked.Add(ref _toBackendBytes, bytes);
    }

    /// <summary>Counts one datagram of <paramref name="bytes"/> bytes received from the backend (the host calls it).</summary>
    public void CountFromBackend(int bytes)
    {
        Interlocked.Increment(ref _fromBackend);
        Interlocked.Add(ref _fromBackendBytes, bytes);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Address}{(ForwardingHeader ? ", forwarding header" : "")}, {Health})";
}
