using System.Net;
using Pliant.Quic;
using Pliant.Quic.Connection;

namespace Pliant.Fuzz.Quic;

/// <summary>
/// A server <see cref="QuicEndpointCore"/> with fixed keys, fed datagrams on a virtual clock. After
/// each datagram every output path runs: transmit is drained, due timers fire, accepted
/// connections and their events are taken. Nothing may throw: the endpoint handles bad input itself.
/// <para>Bounds: at most <see cref="MaxTransmitsPerStep"/> datagrams are taken per step and the clock
/// is advanced at most <see cref="FinalTimerSteps"/> times at the end, so a run is a few ms.</para>
/// </summary>
internal sealed class EndpointHarness
{
    public const int MaxTransmitsPerStep = 64;
    public const int FinalTimerSteps = 4;

    // Loopback addresses only: the core is sans-IO and sends nothing, but say so anyway.
    private static readonly IPEndPoint[] s_peers =
    [
        new(IPAddress.Loopback, 50_000),
        new(IPAddress.Loopback, 50_001),
        new(IPAddress.Parse("127.0.0.2"), 50_000),
        new(IPAddress.IPv6Loopback, 50_000),
    ];

    private readonly QuicEndpointCore _endpoint;
    private readonly byte[] _transmit = new byte[65_536];
    private long _now = 1_000_000;

    public EndpointHarness(bool retry) => _endpoint = new QuicEndpointCore(FixedKeys.ServerEndpoint(retry));

    public QuicEndpointCore Endpoint => _endpoint;

    /// <summary>What came out: connections accepted, datagrams and bytes sent (for the reach tests).</summary>
    public (int Accepted, int Transmits, long BytesSent) Stats => (_accepted, _transmits, _bytesSent);

    /// <summary>When set, every datagram the endpoint sends is copied here (the handshaking client reads them).</summary>
    public List<byte[]>? Captured { get; set; }

    private int _accepted, _transmits;
    private long _bytesSent;

    /// <summary>
    /// Delivers one datagram. <paramref name="control"/>: bits 0–1 pick the source address (so paths
    /// migrate), bits 2–3 the ECN codepoint, bits 4–7 how far the clock moves first (0–15 × 5 ms).
    /// </summary>
    public void Deliver(byte control, ReadOnlySpan<byte> datagram)
    {
        _now += (control >> 4) * 5_000L;
        var from = s_peers[control & 3];
        var ecn = (EcnCodepoint)((control >> 2) & 3);
        _endpoint.HandleDatagram(_now, datagram, from, ecn);
        Step();
    }

    /// <summary>Runs the endpoint's timers a few times (PTO, idle, draining), draining output each time.</summary>
    public void Finish()
    {
        for (int i = 0; i < FinalTimerSteps; i++)
        {
            if (_endpoint.PollTimeout() is not { } t) break;
            _now = Math.Max(_now, t);
            Step();
        }
    }

    private void Step()
    {
        ThrowIfFaulted();
        if (_endpoint.PollTimeout() is { } due && due <= _now) _endpoint.HandleTimeout(_now);
        for (int i = 0; i < MaxTransmitsPerStep; i++)
        {
            if (!_endpoint.PollTransmit(_now, _transmit, 1, out var t)) break;
            _transmits++;
            _bytesSent += t.Length;
            Captured?.Add(_transmit.AsSpan(0, t.Length).ToArray());
        }
        while (_endpoint.TryAccept(out _)) _accepted++;
        for (int i = 0; i < 16 && _endpoint.TryPollConnectionWithEvents(out var c); i++)
        {
            while (c.TryPollEvent(out _))
            {
            }
        }
        ThrowIfFaulted();
    }

    /// <summary>
    /// The endpoint isolates a connection whose code threw unexpectedly (it closes with INTERNAL_ERROR
    /// and counts it); for the fuzzer that is the crash, so the original exception is rethrown here.
    /// </summary>
    private void ThrowIfFaulted()
    {
        if (_endpoint.Statistics.ConnectionsFaulted == 0) return;
        foreach (var c in _endpoint.Connections)
            if (c.FaultError is { } e) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        throw new FuzzInvariantException("a connection faulted (INTERNAL_ERROR) and was already removed");
    }
}
