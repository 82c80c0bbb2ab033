using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Connection;
using Pliant.Quic.Streams;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

/// <summary>
/// <c>sched-priority</c> (stream.next_to_send, issue 15): urgency first, then the stream with the fewest bytes queued.
/// Hostile schedulers (<c>hostile/sched-nonsense</c>, <c>hostile/sched-starve</c>) are detached by the single policy
/// and the transfer completes natively.
/// </summary>
public class StreamSchedulerPluginTests(ITestOutputHelper output)
{
    private static (SimulatedPair Pair, QuicConnectionCore Server, QuicConnectionCore Client) Served(int seed)
    {
        var (pair, client, server) = Transfers.Connected(seed);
        return (pair, server, client);
    }

    [Fact]
    public void ASmallStreamOvertakesABulkOneWithoutPriorities()
    {
        var (pair, server, client) = Served(801);
        long native = new StreamRace(pair, server, client).Run();
        (pair, server, client) = Served(801);
        var plugin = new PluginHost().Attach(server, PluginFiles.Load("sched-priority"), PluginOrigin.Application);
        long scheduled = new StreamRace(pair, server, client).Run();
        output.WriteLine($"bulk bytes delivered before the 16 kB stream completed: native round robin {native}, sched-priority {scheduled} ({plugin.Call("overtaken")} frames overtook)");
        Assert.True(plugin.IsAttached, plugin.DetachReason);
        Assert.True(plugin.Call("overtaken") > 5);
        Assert.True(scheduled < native - 12_000, $"sched-priority {scheduled}, native {native}");
    }

    [Fact]
    public void UrgencyStillComesFirst()
    {
        // The bulk stream is the urgent one here: the small (but less urgent) stream waits for it.
        var (pair, server, client) = Served(802);
        var plugin = new PluginHost().Attach(server, PluginFiles.Load("sched-priority"), PluginOrigin.Application);
        long bulk = new StreamRace(pair, server, client) { BulkSize = 300_000, BulkPriority = new StreamPriority(1, true) }.Run();
        Assert.True(plugin.IsAttached, plugin.DetachReason);
        Assert.True(bulk > 250_000, $"{bulk} of 300,000 bulk bytes before the small stream completed");
    }

    [Theory]
    [InlineData("sched-nonsense", "broken invariant in stream.next_to_send (replace): stream 999999 is not an open stream of this connection")]
    [InlineData("sched-starve", "broken invariant in stream.next_to_send (replace): 16 answers in a row named no stream with data to send")]
    public void AHostileSchedulerIsDetachedAndTheTransferCompletes(string name, string reason)
    {
        var (pair, server, client) = Served(803);
        var plugin = new PluginHost().Attach(server, PluginFiles.Load(name), PluginOrigin.Application);
        new StreamRace(pair, server, client) { BulkSize = 300_000 }.Run();
        output.WriteLine($"{name}: {plugin.DetachReason}");
        Assert.False(plugin.IsAttached);
        Assert.Contains(reason, plugin.DetachReason, StringComparison.Ordinal);
        Assert.False(server.Operations.IsHooked(Pliant.Quic.Operations.OperationNames.StreamNextToSend));
        Assert.True(server.IsConnected);
    }
}
