using Pliant.Plugins.Tests.Support;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

public class TlpTests(ITestOutputHelper output)
{
    /// <summary>10 ms RTT; a 3-packet request whose last packet is lost; returns µs until the server has it all.</summary>
    private static long RequestWithLostTail(bool tlp, out PluginInstance? plugin)
    {
        var s = new Scenario(401, p => { p.ClientToServer.DelayUs = 5_000; p.ServerToClient.DelayUs = 5_000; });
        plugin = tlp ? new PluginHost().Attach(s.Client, PluginFiles.Load("tlp"), PluginOrigin.Application) : null;
        s.Pair.RunFor(300_000);
        long first = s.Pair.ClientToServer.Sent;
        s.Pair.ClientToServer.DropFilter = (index, _) => index == first + 2;
        Assert.True(s.Client.TryOpenStream(true, out ulong id));
        var request = new byte[3000];
        Assert.Equal(request.Length, s.Client.StreamWrite(id, request, fin: true));
        long start = s.NowUs;
        Assert.True(s.Pair.RunUntil(() => s.Collector.Finished.Contains(id), 5_000_000));
        Assert.Equal(1, s.Pair.ClientToServer.Dropped);
        return s.NowUs - start;
    }

    [Fact]
    public void LostLastRequestPacketRecoversFasterThanWithPto()
    {
        long native = RequestWithLostTail(false, out _);
        long withTlp = RequestWithLostTail(true, out var plugin);
        output.WriteLine($"lost tail recovered after {native / 1000.0:F1} ms with PTO, {withTlp / 1000.0:F1} ms with the tlp plugin");
        Assert.InRange(native, 45_000, 70_000);
        Assert.InRange(withTlp, 20_000, 40_000);
        Assert.True(plugin!.IsAttached);
        Assert.True(plugin.Call("shortened") > 0);
    }
}
