using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Connection;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Hostile;

public class HostilePluginTests(ITestOutputHelper output)
{
    /// <summary>Attaches a hostile plugin to the victim, runs transfers on both connections, checks isolation.</summary>
    private PluginInstance RunVictim(string name, int seed, string expectedInEvent)
    {
        var h = new HostileSetup(seed);
        var plugin = h.Host.Attach(h.S.Client, PluginFiles.Load(name), PluginOrigin.Peer);
        var (victimDone, _) = h.UploadOnBoth(200_000);
        Assert.True(victimDone, "the victim connection must survive its plugin");
        Assert.True(h.S.Client.IsConnected);
        h.AssertBystanderUntouched();
        var messages = h.VictimMessages(name);
        output.WriteLine($"{name}: {string.Join(" | ", messages)}");
        Assert.Contains(messages, m => m.Contains(expectedInEvent, StringComparison.Ordinal));
        return plugin;
    }

    [Fact]
    public void InfiniteLoopRunsOutOfFuelAndIsDetached()
    {
        var p = RunVictim("loop", 701, "detached: trap in packet.after_send (post): fuel exhausted");
        Assert.False(p.IsAttached);
    }

    [Fact]
    public void OutOfBoundsAccessIsDetached()
    {
        var p = RunVictim("oob", 702, "out of bounds memory access");
        Assert.False(p.IsAttached);
    }

    [Fact]
    public void DeepRecursionHitsTheDepthLimitAndIsDetached()
    {
        var p = RunVictim("recursion", 703, "call stack exhausted");
        Assert.False(p.IsAttached);
    }

    [Fact]
    public void MemoryGrowBombIsCappedAndTheConnectionContinues()
    {
        var p = RunVictim("grow", 704, "memory.grow refused at 16 pages");
        Assert.True(p.IsAttached, "refusing growth is not a fault");
        Assert.Equal(16 * 65536, p.Memory.Length);
    }

    [Fact]
    public void ZeroCongestionWindowIsABrokenInvariant()
    {
        var p = RunVictim("cwnd0", 705, "broken invariant in cc.window (replace): result 0 bytes is below 2 datagrams");
        Assert.False(p.IsAttached);
    }

    [Fact]
    public void MalformedPluginFrameClosesTheConnectionCleanly()
    {
        var h = new HostileSetup(706);
        var module = PluginFiles.Load("badframe");
        var sender = h.Host.Attach(h.S.Client, module, PluginOrigin.Peer);
        var receiver = h.Host.Attach(h.S.Server, module, PluginOrigin.Application);
        Assert.True(h.S.Pair.RunUntil(() => h.S.Client.IsClosed && h.S.Server.IsClosed, 10_000_000));
        var close = h.S.Client.CloseInfo ?? throw new InvalidOperationException("no close info");
        Assert.Equal(0x07UL, close.ErrorCode); // FRAME_ENCODING_ERROR from the peer
        Assert.Contains("malformed", close.Reason ?? "", StringComparison.Ordinal);
        output.WriteLine($"badframe: client closed with 0x{close.ErrorCode:x} \"{close.Reason}\"");
        Assert.True(sender.IsAttached && receiver.IsAttached); // the plugin did not fault: the peer's rejection closed the connection
        // The other connection keeps working.
        Assert.True(h.Bystander.TryOpenStream(true, out ulong id));
        Assert.Equal(5, h.Bystander.StreamWrite(id, "hello"u8, fin: true));
        Assert.True(h.S.Pair.RunUntil(() => h.BystanderServerCollector.Finished.Contains(id), 5_000_000));
        h.AssertBystanderUntouched();
    }

    [Fact]
    public void PolicyCanCloseTheConnectionCleanlyInstead()
    {
        var h = new HostileSetup(707);
        var host = new PluginHost { FaultPolicy = PluginFaultPolicy.CloseConnection, FaultErrorCode = 0x1234 };
        var p = host.Attach(h.S.Client, PluginFiles.Load("oob"), PluginOrigin.Peer);
        var (victimDone, _) = h.UploadOnBoth(100_000);
        Assert.False(victimDone);
        Assert.True(h.S.Pair.RunUntil(() => h.S.Server.IsClosed, 5_000_000));
        var close = h.S.Server.CloseInfo ?? throw new InvalidOperationException("no close info");
        Assert.True(close.IsApplicationError);
        Assert.Equal(0x1234UL, close.ErrorCode);
        output.WriteLine($"policy close: server saw 0x{close.ErrorCode:x} \"{close.Reason}\"");
        Assert.Contains("out of bounds memory access", close.Reason ?? "", StringComparison.Ordinal);
        Assert.False(p.IsAttached);
        h.AssertBystanderUntouched();
    }

    [Fact]
    public void FrameWriteBeyondTheOfferedSpaceIsDetachedBeforeAnythingIsSent()
    {
        var p = RunVictim("overflow", 708, "detached: fault in frame 0x3f5b02 write: write_frame_bytes: 8192 bytes do not fit");
        Assert.False(p.IsAttached);
    }

    [Fact]
    public void AFaultingPluginLeavesTheOtherPluginsOfItsConnectionRunning()
    {
        var h = new HostileSetup(709);
        var mon = h.Host.Attach(h.S.Client, PluginFiles.Load("monitoring"), PluginOrigin.Application);
        var loop = h.Host.Attach(h.S.Client, PluginFiles.Load("loop"), PluginOrigin.Peer);
        var (victimDone, _) = h.UploadOnBoth(100_000);
        Assert.True(victimDone);
        Assert.False(loop.IsAttached);
        Assert.True(mon.IsAttached);
        Assert.True(mon.Call("get", 0) > 50, "monitoring kept counting packets");
        Assert.Equal(["monitoring"], h.Host.AttachedTo(h.S.Client).Select(x => x.Module.Id));
        h.AssertBystanderUntouched();
    }
}
