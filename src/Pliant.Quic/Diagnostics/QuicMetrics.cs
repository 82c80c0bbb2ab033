using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Pliant.Quic.Diagnostics;

/// <summary>
/// Pliant's <see cref="System.Diagnostics.Metrics"/> meter, named <see cref="MeterName"/>: what a QUIC server or
/// client did, for <c>dotnet-counters monitor --counters Pliant.Quic</c> or OpenTelemetry
/// (<c>AddMeter("Pliant.Quic")</c>). Instruments (OpenTelemetry naming):
/// <list type="bullet">
/// <item><c>pliant.quic.connections.active</c> — connections whose handshake completed and that have not closed.</item>
/// <item><c>pliant.quic.handshakes</c> — handshakes ended, tagged <c>result</c> = <c>completed</c> or <c>failed</c>
/// and <c>side</c> = <c>client</c> or <c>server</c>.</item>
/// <item><c>pliant.quic.handshake.duration</c> (s) — from the first packet to handshake completion.</item>
/// <item><c>pliant.quic.rtt</c> (s) — a connection's smoothed RTT when it closed.</item>
/// <item><c>pliant.quic.packets.lost</c> — packets declared lost (RFC 9002), added when a connection closes.</item>
/// <item><c>pliant.quic.datagrams</c>, <c>pliant.quic.bytes</c> — UDP datagrams and payload bytes, tagged
/// <c>direction</c> = <c>in</c> or <c>out</c> (observed from the endpoints' socket counters, no cost per datagram).</item>
/// <item><c>pliant.quic.plugin.faults</c> — plugins detached from a connection because they broke a rule.</item>
/// </list>
/// </summary>
public static class QuicMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Pliant.Quic";

    internal static readonly Meter Meter = new(MeterName, typeof(QuicMetrics).Assembly.GetName().Version?.ToString());

    private static long s_active;
    private static int s_trafficObserved;

    private static readonly Counter<long> Handshakes =
        Meter.CreateCounter<long>("pliant.quic.handshakes", "{handshake}", "QUIC handshakes ended, by result and side");

    private static readonly Histogram<double> HandshakeDuration =
        Meter.CreateHistogram<double>("pliant.quic.handshake.duration", "s", "Time from a connection's first packet to handshake completion");

    private static readonly Histogram<double> Rtt =
        Meter.CreateHistogram<double>("pliant.quic.rtt", "s", "Smoothed RTT of connections when they closed");

    private static readonly Counter<long> PacketsLost =
        Meter.CreateCounter<long>("pliant.quic.packets.lost", "{packet}", "Packets declared lost (RFC 9002)");

    private static readonly Counter<long> PluginFaults =
        Meter.CreateCounter<long>("pliant.quic.plugin.faults", "{fault}", "Plugins detached from a connection for breaking a rule");

    static QuicMetrics()
    {
        Meter.CreateObservableUpDownCounter("pliant.quic.connections.active", () => Volatile.Read(ref s_active),
            "{connection}", "Connections whose handshake completed and that have not closed");
    }

    private static KeyValuePair<string, object?> Side(bool client) => new("side", client ? "client" : "server");

    /// <summary>A connection's handshake completed after <paramref name="elapsed"/>.</summary>
    internal static void HandshakeCompleted(bool client, TimeSpan elapsed)
    {
        Interlocked.Increment(ref s_active);
        if (Handshakes.Enabled) Handshakes.Add(1, new KeyValuePair<string, object?>("result", "completed"), Side(client));
        if (HandshakeDuration.Enabled) HandshakeDuration.Record(elapsed.TotalSeconds, Side(client));
    }

    /// <summary>A connection closed: <paramref name="wasConnected"/> tells whether its handshake had completed.</summary>
    internal static void ConnectionClosed(bool client, bool wasConnected, long smoothedRttUs, long packetsLost)
    {
        if (wasConnected) Interlocked.Decrement(ref s_active);
        else if (Handshakes.Enabled) Handshakes.Add(1, new KeyValuePair<string, object?>("result", "failed"), Side(client));
        if (wasConnected && smoothedRttUs > 0 && Rtt.Enabled) Rtt.Record(smoothedRttUs / 1e6, Side(client));
        if (packetsLost > 0 && PacketsLost.Enabled) PacketsLost.Add(packetsLost, Side(client));
    }

    /// <summary>A plugin was detached from a connection because it faulted.</summary>
    public static void PluginFaulted() => PluginFaults.Add(1);

    /// <summary>
    /// Adds observable datagram and byte totals (an endpoint layer registers its sockets' counters once):
    /// <paramref name="totals"/> returns (datagrams in, datagrams out, bytes in, bytes out) summed over live endpoints.
    /// </summary>
    internal static void ObserveTraffic(Func<(long DatagramsIn, long DatagramsOut, long BytesIn, long BytesOut)> totals)
    {
        if (Interlocked.Exchange(ref s_trafficObserved, 1) != 0) return; // one source; instruments are created once

        Meter.CreateObservableCounter("pliant.quic.datagrams", () =>
        {
            var t = totals();
            return new[]
            {
                new Measurement<long>(t.DatagramsIn, new KeyValuePair<string, object?>("direction", "in")),
                new Measurement<long>(t.DatagramsOut, new KeyValuePair<string, object?>("direction", "out")),
            };
        }, "{datagram}", "UDP datagrams received and sent");
        Meter.CreateObservableCounter("pliant.quic.bytes", () =>
        {
            var t = totals();
            return new[]
            {
                new Measurement<long>(t.BytesIn, new KeyValuePair<string, object?>("direction", "in")),
                new Measurement<long>(t.BytesOut, new KeyValuePair<string, object?>("direction", "out")),
            };
        }, "By", "UDP payload bytes received and sent");
    }

    /// <summary>Timestamp for <see cref="HandshakeCompleted"/>'s duration (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    internal static long Now() => Stopwatch.GetTimestamp();
}
