using System.Buffers.Binary;
using Pliant.Plugins.Tests.Support;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

public class FecTests(ITestOutputHelper output)
{
    /// <summary>40 requests of 8 × 1000-byte messages over 5% loss, 40 ms RTT; returns the mean completion time (µs).</summary>
    private static (long MeanUs, ulong Recovered, ulong Resent) Run(bool fec, string plugin = "fec")
    {
        var s = new Scenario(1201, p =>
        {
            p.ClientToServer.LossRate = 0.05;
            p.ClientToServer.DelayUs = 20_000;
            p.ServerToClient.DelayUs = 20_000;
        });
        var host = new PluginHost();
        var module = PluginFiles.Load(plugin);
        var tx = host.Attach(s.Client, module, PluginOrigin.Application);
        var rx = host.Attach(s.Server, module, PluginOrigin.Application);
        tx.Call("configure", fec ? 1UL : 0UL);
        var msg = new byte[1000];
        long total = 0;
        const int requests = 40, perRequest = 8;
        for (int r = 0; r < requests; r++)
        {
            long start = s.NowUs;
            long first = -1;
            for (int i = 0; i < perRequest; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(msg, r * 1000 + i);
                tx.WriteMemory((int)tx.Call("buffer"), msg);
                long id = (long)tx.Call("send", (ulong)msg.Length);
                if (first < 0) first = id;
            }
            Assert.True(s.Pair.RunUntil(() => Enumerable.Range(0, perRequest).All(i => (int)rx.Call("get", (ulong)(first + i)) > 0), 10_000_000));
            for (int i = 0; i < perRequest; i++)
            {
                Assert.Equal(1000, (int)rx.Call("get", (ulong)(first + i)));
                Assert.Equal(r * 1000 + i, BinaryPrimitives.ReadInt32LittleEndian(rx.Memory.Slice((int)rx.Call("buffer"))));
            }
            total += s.NowUs - start;
            s.Pair.RunFor(200_000);
        }
        Assert.True(tx.IsAttached && rx.IsAttached, tx.DetachReason ?? rx.DetachReason);
        return (total / requests, rx.Call("stats", 1), tx.Call("stats", 2));
    }

    [Theory]
    [InlineData("fec")]
    [InlineData("fec-simd")]
    public void RepairFramesCutCompletionTimeUnderRandomLoss(string plugin)
    {
        var plain = Run(false, plugin);
        var fec = Run(true, plugin);
        output.WriteLine($"8 × 1000 B per request, 5% loss, 40 ms RTT: mean completion {plain.MeanUs / 1000.0:F1} ms with retransmission only " +
                         $"({plain.Resent} resent), {fec.MeanUs / 1000.0:F1} ms with FEC ({fec.Recovered} rebuilt from repair frames, {fec.Resent} resent)");
        Assert.Equal(0UL, plain.Recovered);
        Assert.True(fec.Recovered > 0, "some messages were rebuilt");
        Assert.True(fec.MeanUs < plain.MeanUs * 8 / 10, "FEC cuts the mean completion time by at least 20%");
    }

    /// <summary>
    /// SIMD in plugins (docs/plugin-abi.md): fec-simd.wasm is fec.c built with -msimd128, its repair XOR in
    /// v128 instructions. Same seeded scenario, same outcome to the packet: the v128 code computes the same
    /// repair bytes (a wrong lane would corrupt a rebuilt message, which Run checks byte by byte).
    /// </summary>
    [Fact]
    public void SimdBuildRepairsExactlyLikeTheScalarBuild()
    {
        static int SimdOps(string name) =>
            Pliant.Wasm.CompiledModule.DecodeAndValidate(PluginFiles.Bytes(name)).Bodies.Sum(b => b.Code.Count(i => i.Op >= 0xFD00));
        Assert.Equal(0, SimdOps("fec"));
        Assert.True(SimdOps("fec-simd") >= 10, "fec-simd.wasm uses v128 instructions");
        Assert.Equal(Run(true, "fec"), Run(true, "fec-simd"));
    }
}
