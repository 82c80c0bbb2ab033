using System.Diagnostics;
using System.Net;
using Pliant.Quic.Connection;
using Pliant.Quic.Diagnostics;
using Pliant.Quic.Wire;
using Pliant.Router.Rules;

namespace Pliant.Router;

/// <summary>
/// <c>pliant route --qlog DIR</c>: one qlog per routed client connection, <c>ODCID_router.sqlog</c> (or
/// <c>.pqlog</c>), named by the client's original Destination Connection ID, vantage point "network": the
/// <c>quic:packet_received</c> header of each Initial of its first flight and a <c>pliant:route_decided</c> event
/// naming the backend and the rule that matched (or why the flight was dropped). The trace ends with the decision;
/// later packets of the connection are the backend's to log.
/// </summary>
/// <remarks>
/// Bounded like the router's tables: only flights whose Initial opened are traced (junk Initials cost no file), and
/// at most <see cref="MaxOpenTraces"/> traces are open at once — the router's pending-flight limit — beyond which the
/// oldest is ended with a <c>pliant:route_decided</c> saying so. Each trace's events go through the process's qlog
/// writer thread (docs/security.md "qlog under load").
/// </remarks>
public sealed class FirstFlightQlog : IFirstFlightObserver, IDisposable
{
    private readonly string _directory;
    private readonly QlogFormat _format;
    private readonly Lock _lock = new();
    private readonly Dictionary<ConnectionId, (QlogTrace Trace, IPEndPoint Client, LinkedListNode<ConnectionId> Node)> _open = [];
    private readonly LinkedList<ConnectionId> _order = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Writes the traces into <paramref name="directory"/> (created if missing) in <paramref name="format"/>.</summary>
    /// <param name="directory">Where the traces go.</param>
    /// <param name="format">JSON-SEQ or binary (docs/qlog.md).</param>
    /// <param name="maxOpenTraces">Traces open at once (flights not yet routed); at least 1.</param>
    public FirstFlightQlog(string directory, QlogFormat format = QlogFormat.JsonSeq, int maxOpenTraces = 1_024)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOpenTraces, 1);
        _directory = directory;
        _format = format;
        MaxOpenTraces = maxOpenTraces;
    }

    /// <summary>The most traces open at once.</summary>
    public int MaxOpenTraces { get; }

    /// <summary>Traces open now (flights seen and not yet routed or dropped).</summary>
    public int OpenTraces
    {
        get { lock (_lock) return _open.Count; }
    }

    /// <summary>Traces ended early because <see cref="MaxOpenTraces"/> were open.</summary>
    public long Evicted { get; private set; }

    private long NowUs => (long)(_clock.ElapsedTicks * (1_000_000.0 / Stopwatch.Frequency));

    /// <inheritdoc/>
    public void InitialReceived(ReadOnlySpan<byte> originalDcid, in PacketHeader header, int datagramLength, IPEndPoint client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var key = new ConnectionId(originalDcid);
        long now = NowUs;
        lock (_lock)
        {
            if (!_open.TryGetValue(key, out var entry))
            {
                while (_open.Count >= MaxOpenTraces && _order.First is { } oldest)
                {
                    var client0 = _open[oldest.Value].Client;
                    End(oldest.Value, t => t.RouteDecided(now, client0, null, null, "none", null, null,
                        $"qlog: more than {MaxOpenTraces} first flights open, this trace ended"));
                    Evicted++;
                }
                if (QlogTrace.Open(_directory, originalDcid, QlogVantage.Network, now, _format) is not { } trace) return;
                entry = (trace, client, _order.AddLast(key));
                _open[key] = entry;
            }
            entry.Trace.InitialSeen(now, header.Version, originalDcid, header.SourceConnectionId.Span, header.TokenLength, datagramLength);
        }
    }

    /// <inheritdoc/>
    public void Routed(ReadOnlySpan<byte> originalDcid, RouterBackend backend, RuleKind rule, string? serverName, IReadOnlyList<string> alpn)
    {
        ArgumentNullException.ThrowIfNull(backend);
        long now = NowUs;
        lock (_lock)
        {
            var key = new ConnectionId(originalDcid);
            if (!_open.TryGetValue(key, out var entry)) return;
            End(key, t => t.RouteDecided(now, entry.Client, backend.Name, backend.Address, RuleName(rule), serverName, alpn, null));
        }
    }

    /// <inheritdoc/>
    public void Dropped(ReadOnlySpan<byte> originalDcid, DropReason reason)
    {
        long now = NowUs;
        lock (_lock)
        {
            var key = new ConnectionId(originalDcid);
            if (!_open.TryGetValue(key, out var entry)) return;
            End(key, t => t.RouteDecided(now, entry.Client, null, null, "none", null, null, DropName(reason)));
        }
    }

    /// <summary>Writes the trace's last event and ends it (its file is closed once the writer caught up).</summary>
    private void End(ConnectionId key, Action<QlogTrace> last)
    {
        var (trace, _, node) = _open[key];
        _open.Remove(key);
        _order.Remove(node);
        last(trace);
        trace.Dispose();
    }

    /// <summary>The qlog name of a rule: <c>exact_name</c>, <c>wildcard</c>, <c>alpn</c>, <c>default</c>.</summary>
    public static string RuleName(RuleKind rule) => rule switch
    {
        RuleKind.ExactName => "exact_name",
        RuleKind.Wildcard => "wildcard",
        RuleKind.Alpn => "alpn",
        RuleKind.Default => "default",
        _ => "none",
    };

    private static string DropName(DropReason reason) => reason switch
    {
        DropReason.BadClientHello => "bad_client_hello",
        DropReason.ClientHelloTooLarge => "client_hello_too_large",
        DropReason.NoBackend => "no_backend",
        DropReason.FlightExpired => "flight_expired",
        _ => reason.ToString().ToLowerInvariant(),
    };

    /// <summary>Ends the traces still open (the router stops).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var (_, (trace, _, _)) in _open) trace.Dispose();
            _open.Clear();
            _order.Clear();
        }
    }
}
