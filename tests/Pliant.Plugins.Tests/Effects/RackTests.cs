using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

/// <summary>
/// <c>rack</c> (recovery.detect_lost, issue 15): time-threshold loss detection with a min_rtt/4 reordering window. On a
/// link that reorders by more than the native time threshold's RTT/8, the native detection (packet threshold 3 and
/// 9/8 × RTT) takes reordered packets for lost; rack does not, and still finds real losses. A hostile loss detector
/// (<c>hostile/lost-never</c>) is detached and native detection resumes.
/// </summary>
public class RackTests(ITestOutputHelper output)
{
    private const int Size = 2 << 20;

    private static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Connect(int seed, double loss)
    {
        var (pair, client, server) = Transfers.Connected(seed);
        // RTT 20 ms; 5 % of the uploaded datagrams 4 ms late (reordered by many packets, beyond RTT/8 = 2.5 ms).
        pair.ClientToServer.ReorderRate = 0.05;
        pair.ClientToServer.ReorderDelayUs = 4_000;
        pair.ClientToServer.LossRate = loss;
        return (pair, client, server);
    }

    /// <summary>Uploads <see cref="Size"/> bytes; returns the client's packets declared lost and stream bytes sent again.</summary>
    private static (long Lost, long Resent) Upload(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server)
    {
        Transfers.Upload(pair, client, server, Size);
        return (client.Statistics.PacketsLost, client.Statistics.StreamBytesRetransmitted);
    }

    [Fact]
    public void ReorderingIsNotTakenForLoss()
    {
        var (pair, client, server) = Connect(811, 0);
        var native = Upload(pair, client, server);
        (pair, client, server) = Connect(811, 0);
        var rack = new PluginHost().Attach(client, PluginFiles.Load("rack"), PluginOrigin.Application);
        var timed = Upload(pair, client, server);
        output.WriteLine($"no loss, 5 % reordered by 4 ms: packets declared lost (all spurious) native {native.Lost} ({native.Resent} bytes resent), rack {timed.Lost} ({timed.Resent} bytes resent; {rack.Call("held_back")} packet-threshold losses held back)");
        Assert.True(rack.IsAttached, rack.DetachReason);
        Assert.True(native.Lost >= 10, $"native {native.Lost}");
        Assert.True(timed.Lost <= native.Lost / 5, $"rack {timed.Lost}, native {native.Lost}");
        Assert.True(rack.Call("held_back") > 0);
    }

    [Fact]
    public void RealLossesAreStillFound()
    {
        var (pair, client, server) = Connect(812, 0.02);
        var rack = new PluginHost().Attach(client, PluginFiles.Load("rack"), PluginOrigin.Application);
        var timed = Upload(pair, client, server);
        output.WriteLine($"2 % loss: rack declared {timed.Lost} lost, dropped by the link {pair.ClientToServer.Dropped}");
        Assert.True(rack.IsAttached, rack.DetachReason);
        Assert.True(timed.Lost >= pair.ClientToServer.Dropped / 2, $"{timed.Lost} lost of {pair.ClientToServer.Dropped} dropped");
    }

    [Fact]
    public void AHostileLossDetectorIsDetachedAndNativeDetectionResumes()
    {
        var (pair, client, server) = Connect(813, 0.02);
        var plugin = new PluginHost().Attach(client, PluginFiles.Load("lost-never"), PluginOrigin.Application);
        var r = Upload(pair, client, server);
        output.WriteLine($"lost-never: {plugin.DetachReason}; {r.Lost} packets declared lost natively afterwards");
        Assert.False(plugin.IsAttached);
        Assert.Contains("broken invariant in recovery.detect_lost (replace): result -1 (negative as i64) µs is above 60000000", plugin.DetachReason, StringComparison.Ordinal);
        Assert.True(r.Lost > 0);
        Assert.True(client.IsConnected);
    }
}
