using System.Net;
using System.Net.Sockets;
using Pliant.Router;

namespace Pliant.Cli.Route;

/// <summary>One client address talking to one foreign backend: a socket of its own, so the backend's answers come back to it.</summary>
internal sealed class ForeignFlow(IPEndPoint client, RouterBackend backend, Socket socket, long nowUs)
{
    public IPEndPoint Client { get; } = client;
    public RouterBackend Backend { get; } = backend;
    public Socket Socket { get; } = socket;
    public long CreatedUs { get; } = nowUs;
    public long LastUsedUs = nowUs;

    /// <summary>The client sent something other than its first flight on this flow (it saw the backend's answer).</summary>
    public bool Proven;
}

/// <summary>
/// The flow table for foreign backends: at most <c>maxFlows</c> flows (then new ones are refused, counted:
/// established connections keep theirs), each expiring after <c>idle</c> without datagrams either way, or after
/// <c>unproven</c> when its client never got past its first flight (a spoofed source). Thread-safe.
/// </summary>
internal sealed class ForeignFlows(int maxFlows, long idleUs, long unprovenUs)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(IPEndPoint Client, int Backend), ForeignFlow> _flows = [];
    private readonly Dictionary<IPEndPoint, ForeignFlow> _byClient = [];

    public int Count
    {
        get
        {
            lock (_lock) return _flows.Count;
        }
    }

    public int MaxFlows => maxFlows;

    /// <summary>The most recent flow of <paramref name="client"/> (the router's 4-tuple step).</summary>
    public RouterBackend? BackendOf(IPEndPoint client)
    {
        lock (_lock) return _byClient.TryGetValue(client, out var f) ? f.Backend : null;
    }

    /// <summary>The flow for (client, backend), created with <paramref name="open"/> if new; null when the table is full.</summary>
    public ForeignFlow? GetOrAdd(IPEndPoint client, RouterBackend backend, long nowUs, Func<ForeignFlow> open, out bool created)
    {
        created = false;
        lock (_lock)
        {
            if (_flows.TryGetValue((client, backend.Index), out var flow))
            {
                flow.LastUsedUs = nowUs;
                return flow;
            }
            if (_flows.Count >= maxFlows) return null;
            flow = open();
            _flows.Add((client, backend.Index), flow);
            _byClient[client] = flow;
            created = true;
            return flow;
        }
    }

    /// <summary>Removes and returns the flows that expired at <paramref name="nowUs"/> (the caller closes their sockets).</summary>
    public List<ForeignFlow> Expire(long nowUs)
    {
        var expired = new List<ForeignFlow>();
        lock (_lock)
        {
            foreach (var f in _flows.Values)
            {
                long idle = nowUs - Volatile.Read(ref f.LastUsedUs);
                if (idle >= idleUs || (!f.Proven && nowUs - f.CreatedUs >= unprovenUs)) expired.Add(f);
            }
            foreach (var f in expired) Remove(f);
        }
        return expired;
    }

    /// <summary>Every flow (for shutdown).</summary>
    public List<ForeignFlow> TakeAll()
    {
        lock (_lock)
        {
            var all = _flows.Values.ToList();
            _flows.Clear();
            _byClient.Clear();
            return all;
        }
    }

    /// <summary>Flows per backend index.</summary>
    public int CountFor(RouterBackend backend)
    {
        lock (_lock) return _flows.Values.Count(f => f.Backend == backend);
    }

    private void Remove(ForeignFlow f)
    {
        _flows.Remove((f.Client, f.Backend.Index));
        if (_byClient.TryGetValue(f.Client, out var current) && current == f) _byClient.Remove(f.Client);
    }
}
