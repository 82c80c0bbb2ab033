using System.Diagnostics.Metrics;
using Pliant.Quic.Diagnostics;

namespace Pliant.Net.Tests.Api;

/// <summary>
/// The <c>Pliant.Quic</c> meter as <c>dotnet-counters</c> or OpenTelemetry see it (a <see cref="MeterListener"/>).
/// Other tests run connections at the same time: every figure is a lower bound.
/// </summary>
public class MetricsTests
{
    [Fact]
    public async Task AConnectionShowsUpInTheMeter()
    {
        var longs = new List<(string Name, long Value, Dictionary<string, object?> Tags)>();
        var doubles = new List<(string Name, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == QuicMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var t = new Dictionary<string, object?>();
            foreach (var tag in tags) t[tag.Key] = tag.Value;
            lock (longs) longs.Add((instrument.Name, value, t));
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            lock (doubles) doubles.Add((instrument.Name, value));
        });
        listener.Start();
        listener.RecordObservableInstruments();
        long bytesOutBefore = Last(longs, "pliant.quic.bytes", "direction", "out");

        await using (var pair = await QuicTestPair.CreateAsync(fake: false))
        {
            await using var stream = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
            await stream.WriteAsync(new byte[10_000], completeWrites: true);
            await using var accepted = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
            var buffer = new byte[4096];
            while (await accepted.ReadAsync(buffer) > 0) { }
            listener.RecordObservableInstruments();
            Assert.True(Last(longs, "pliant.quic.connections.active", null, null) >= 2, "active connections");
            await pair.Client.CloseAsync(0);
            await pair.Server.Closed.WaitAsync(QuicTestPair.Timeout);
        }
        listener.RecordObservableInstruments();

        lock (longs)
        {
            Assert.True(longs.Count(m => m.Name == "pliant.quic.handshakes" && Equals(m.Tags["result"], "completed") && Equals(m.Tags["side"], "client")) >= 1);
            Assert.True(longs.Count(m => m.Name == "pliant.quic.handshakes" && Equals(m.Tags["result"], "completed") && Equals(m.Tags["side"], "server")) >= 1);
        }
        Assert.True(Last(longs, "pliant.quic.bytes", "direction", "out") >= bytesOutBefore + 10_000, "bytes out");
        Assert.True(Last(longs, "pliant.quic.datagrams", "direction", "in") > 0, "datagrams in");
        lock (doubles)
        {
            Assert.Contains(doubles, m => m.Name == "pliant.quic.handshake.duration" && m.Value > 0 && m.Value < 30);
            Assert.Contains(doubles, m => m.Name == "pliant.quic.rtt" && m.Value > 0 && m.Value < 30);
        }
    }

    private static long Last(List<(string Name, long Value, Dictionary<string, object?> Tags)> longs, string name, string? tag, string? value)
    {
        lock (longs)
        {
            for (int i = longs.Count - 1; i >= 0; i--)
                if (longs[i].Name == name && (tag is null || Equals(longs[i].Tags.GetValueOrDefault(tag), value))) return longs[i].Value;
        }
        return 0;
    }
}
