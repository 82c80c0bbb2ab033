using System.Net;
using System.Net.Sockets;

namespace Pliant.Cli.Relay;

/// <summary>
/// One client address seen by the relay and its own upstream socket, so the server sees one address per
/// client (and counts the anti-amplification credit per flow). Counters and the trace are per flow.
/// </summary>
public sealed class RelayFlow
{
    private readonly RelayCounters _up = new();
    private readonly RelayCounters _down = new();
    private readonly List<RelayEvent> _trace = [];
    private readonly int _traceLimit;
    private int _traceCount;
    private long _upIndex;
    private long _downIndex;

    internal RelayFlow(int index, IPEndPoint client, SocketAddress clientAddress, Socket upstream, long firstTimestamp, int traceLimit)
    {
        Index = index;
        Client = client;
        ClientAddress = clientAddress;
        Upstream = upstream;
        UpstreamLocalEndPoint = (IPEndPoint)upstream.LocalEndPoint!;
        FirstTimestamp = firstTimestamp;
        _traceLimit = traceLimit;
    }

    /// <summary>0, 1, ... in the order the flows' first datagrams reached the relay.</summary>
    public int Index { get; }

    /// <summary>The client's address (where server datagrams are sent back to).</summary>
    public IPEndPoint Client { get; }

    /// <summary>The relay's address for this flow as the server sees it.</summary>
    public IPEndPoint UpstreamLocalEndPoint { get; }

    /// <summary>What the relay did with this client's datagrams.</summary>
    public RelayCounts ClientToServer => _up.Snapshot();

    /// <summary>What the relay did with the server's datagrams to this client.</summary>
    public RelayCounts ServerToClient => _down.Snapshot();

    /// <summary>The first <see cref="RelayOptions.TracePerFlow"/> datagrams of this flow, both directions, in handling order.</summary>
    public IReadOnlyList<RelayEvent> Trace
    {
        get
        {
            lock (_trace) return [.. _trace];
        }
    }

    internal SocketAddress ClientAddress { get; }

    internal Socket Upstream { get; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of the flow's first client datagram.</summary>
    internal long FirstTimestamp { get; }

    internal RelayCounters Counters(RelayDirection d) => d == RelayDirection.ClientToServer ? _up : _down;

    /// <summary>The next datagram number in direction <paramref name="d"/> (each direction has a single reader loop).</summary>
    internal long NextIndex(RelayDirection d) => d == RelayDirection.ClientToServer ? _upIndex++ : _downIndex++;

    /// <summary>True while the trace has room (so the caller only describes datagrams that will be kept).</summary>
    internal bool Tracing => _traceLimit > 0 && Volatile.Read(ref _traceCount) < _traceLimit;

    internal void Record(in RelayEvent e)
    {
        if (_traceLimit == 0) return;
        lock (_trace)
        {
            if (_trace.Count < _traceLimit) _trace.Add(e);
            _traceCount = _trace.Count;
        }
    }
}
