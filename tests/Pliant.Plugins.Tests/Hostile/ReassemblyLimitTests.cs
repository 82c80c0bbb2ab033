using Pliant.Plugins.Exchange;
using Pliant.Plugins.Tests.Exchange;
using Pliant.Plugins.Trust;
using Pliant.Quic;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Hostile;

/// <summary>Runs alone: a million frames take a CPU second, which would starve tests that wait on wall-clock time.</summary>
[CollectionDefinition(nameof(ReassemblyLimitTests), DisableParallelization = true)]
public sealed class ReassemblyLimitCollection;

/// <summary>
/// PLUGIN frame reassembly under attack: memory grows with what the peer actually sends (4 KiB pages,
/// per-connection and process-wide caps), the work per frame stays bounded (capped range set), and
/// every cap refuses the module with a precise event — never a crash, a hang or a closed connection
/// (docs/plugin-abi.md "Limits").
/// </summary>
[Collection(nameof(ReassemblyLimitTests))]
public class ReassemblyLimitTests(ITestOutputHelper output)
{
    private const ulong OneMiB = 1 << 20;
    private static readonly byte[] OneByte = [0xAA];

    private static PluginExchangeOptions Options(PluginTransferBudget? budget = null) => new()
    {
        TrustPolicy = new PluginTrustPolicy(),
        TransferBudget = budget ?? new PluginTransferBudget(16 << 20),
    };

    [Fact]
    public void FirstChunksOfAnnouncedModulesHoldPagesNotTheAnnouncedLength()
    {
        // Four announced 1 MiB modules, 50 bytes of each: before, 4 MiB were allocated for 200 bytes.
        var hashes = Enumerable.Range(0, 4).Select(HostileExchange.Hash).ToArray();
        var h = new HostileExchange(Options(), hashes.Select((x, i) => ($"m{i}", x)).ToArray());
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var hash in hashes) h.Send(hash, 0, OneMiB, new byte[50]);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{allocated} bytes allocated, {h.Receiver.ReassemblyBytes} held");
        Assert.Equal(4, h.Receiver.TransfersInProgress);
        Assert.Equal(4 * PagedBuffer.PageSize, h.Receiver.ReassemblyBytes);
        Assert.True(allocated < 64 << 10, $"{allocated} bytes allocated");
        Assert.Empty(h.Connection.Events);
    }

    [Fact]
    public void OneByteChunksOfAOneMiBModuleCostPagesAndConstantWorkPerChunk()
    {
        var module = TestModules.Observer(padding: 1_000_000);
        var preloaded = PluginModule.Load(module);
        var options = Options();
        options.TrustPolicy = new PluginTrustPolicy().AllowModule(module);
        options.Loader = (_, _) => preloaded; // measure reassembly, not compilation
        var hash = HostileExchange.HashOf(module);
        var h = new HostileExchange(options, ("test.observer", hash));
        long peak = 0, allocated = 0;
        var (error, _) = Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < module.Length; i++)
            {
                h.Send(hash, (ulong)i, (ulong)module.Length, module.AsSpan(i, 1));
                if ((i & 4095) == 0) peak = Math.Max(peak, h.Receiver.ReassemblyBytes);
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.Null(error);
        output.WriteLine($"{module.Length} one-byte chunks: peak held {peak}, allocated {allocated}");
        Assert.Equal(module, Assert.Single(h.Connection.Injected));
        Assert.True(peak <= module.Length + PagedBuffer.PageSize, $"peak {peak}");
        // The pages, the assembled module, and the hashes and trust check over it: a few times the module, not per chunk.
        Assert.True(allocated < 6L * module.Length, $"{allocated} bytes allocated");
        Assert.Equal(0, h.Receiver.ReassemblyBytes);
    }

    [Fact]
    public void OneByteChunksWithGapsAreRefusedAtTheRangeCap()
    {
        // Every other byte of a 1 MiB announce: each chunk is a new range. Before, the range list
        // grew to 512 Ki entries, each insertion a linear scan (quadratic on the driver thread).
        var hash = HostileExchange.Hash(1);
        var h = new HostileExchange(Options(), ("gappy", hash));
        var (error, allocated) = Run(() =>
        {
            for (ulong i = 0; i < OneMiB; i += 2) h.Send(hash, i, OneMiB, OneByte);
        });
        Assert.Null(error);
        Assert.Equal("refused: chunks arrived in more than 64 separate ranges", Assert.Single(h.Messages));
        Assert.Equal(0, h.Receiver.TransfersInProgress);
        Assert.Equal(0, h.Receiver.ReassemblyBytes);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void ScatteredChunksAreRefusedAsTooSparse()
    {
        // One byte in every page: 4 KiB of memory per byte sent, until the sparseness cap (pages ≤
        // twice the bytes received + 64 KiB) refuses the module.
        var hash = HostileExchange.Hash(2);
        var options = Options();
        options.MaxReassemblyRanges = 1000;
        var h = new HostileExchange(options, ("sparse", hash));
        long peak = 0;
        for (ulong i = 0; i < OneMiB; i += PagedBuffer.PageSize)
        {
            h.Send(hash, i, OneMiB, OneByte);
            peak = Math.Max(peak, h.Receiver.ReassemblyBytes);
        }
        Assert.StartsWith("refused: chunks too sparse", Assert.Single(h.Messages), StringComparison.Ordinal);
        Assert.InRange(peak, 1, PluginExchange.SparseAllowance + PagedBuffer.PageSize);
        Assert.Equal(0, h.Receiver.ReassemblyBytes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void OverlappingDuplicateAndOutOfOrderChunksReassemble(int seed)
    {
        var module = TestModules.Observer(padding: 30_000);
        var options = Options();
        options.TrustPolicy = new PluginTrustPolicy().AllowModule(module);
        var hash = HostileExchange.HashOf(module);
        var h = new HostileExchange(options, ("test.observer", hash));
        var rng = new Random(seed);
        // Chunks of random offsets and lengths (overlapping, repeated), newest first, then the rest backwards.
        var chunks = new List<(int Offset, int Length)>();
        for (int i = 0; i < 80; i++)
        {
            int offset = rng.Next(module.Length);
            chunks.Add((offset, 1 + rng.Next(Math.Min(3000, module.Length - offset))));
        }
        chunks.Reverse();
        chunks.AddRange(chunks.Take(10)); // duplicates
        for (int end = module.Length; end > 0; end -= 2500) chunks.Add((Math.Max(0, end - 2500), Math.Min(2500, end)));
        foreach (var (offset, length) in chunks)
        {
            if (h.Connection.Injected.Count > 0) break;
            h.Send(hash, (ulong)offset, (ulong)module.Length, module.AsSpan(offset, length));
        }
        Assert.Equal(module, Assert.Single(h.Connection.Injected));
        Assert.Equal(0, h.Receiver.ReassemblyBytes);
    }

    [Fact]
    public void OverlapWithDifferentBytesIsCaughtByTheHash()
    {
        var module = TestModules.Observer(padding: 10_000);
        var options = Options();
        options.TrustPolicy = new PluginTrustPolicy().AllowModule(module);
        var hash = HostileExchange.HashOf(module);
        var h = new HostileExchange(options, ("test.observer", hash));
        var forged = (byte[])module.Clone();
        forged[5000] ^= 1;
        h.Send(hash, 4000, (ulong)module.Length, module.AsSpan(4000, module.Length - 4000));
        h.Send(hash, 0, (ulong)module.Length, forged.AsSpan(0, 6000)); // overlaps the genuine bytes with one forged byte
        Assert.Empty(h.Connection.Injected);
        Assert.Equal("refused: content does not match the announced SHA-256", Assert.Single(h.Messages));
    }

    [Theory]
    [InlineData(990UL, 20)]     // runs past the end
    [InlineData(1000UL, 1)]     // starts at the end
    [InlineData(5000UL, 10)]    // starts beyond it
    public void ChunkBeyondTotalLengthIsAFrameEncodingError(ulong offset, int length)
    {
        var hash = HostileExchange.Hash(3);
        var h = new HostileExchange(Options(), ("m", hash));
        var e = Assert.Throws<QuicProtocolException>(() => h.Send(hash, offset, 1000, new byte[length]));
        Assert.Equal(TransportErrorCode.FrameEncodingError, e.ErrorCode);
        Assert.Equal(0, h.Receiver.ReassemblyBytes);
    }

    [Fact]
    public void TotalLengthOverTheCapsIsRefusedAtTheFirstChunk()
    {
        var huge = HostileExchange.Hash(4);
        var overConnection = HostileExchange.Hash(5);
        var options = Options();
        options.TrustPolicy = new PluginTrustPolicy { MaxModuleSize = 8 << 20 };
        var h = new HostileExchange(options, ("huge", huge), ("big", overConnection));
        long before = GC.GetAllocatedBytesForCurrentThread();
        h.Send(huge, 0, (1UL << 62) - 1, new byte[100]);
        h.Send(overConnection, 0, 4 << 20, new byte[100]);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 10);
        Assert.Equal(
            ["refused: module of 4611686018427387903 bytes exceeds the 8388608-byte limit",
             "refused: module of 4194304 bytes exceeds the per-connection reassembly cap of 2097152 bytes"],
            h.Messages);
        Assert.Equal(0, h.Receiver.ReassemblyBytes);
        // We advertise what we can receive: the smaller of the two caps.
        var supported = ExchangeWire.DecodeSupported(options.BuildTransportParameters()[0].Value);
        Assert.Equal(2UL << 20, supported.MaxModuleSize);
    }

    [Fact]
    public void ManyHashesAnnouncedAtOnceGetFourTransfers()
    {
        var hashes = Enumerable.Range(100, ExchangeWire.MaxReferences).Select(HostileExchange.Hash).ToArray();
        var h = new HostileExchange(Options(), hashes.Select((x, i) => ($"m{i}", x)).ToArray());
        foreach (var hash in hashes) h.Send(hash, 0, OneMiB, new byte[1000]);
        Assert.Equal(4, h.Receiver.TransfersInProgress);
        Assert.Equal(4 * PagedBuffer.PageSize, h.Receiver.ReassemblyBytes);
        Assert.Equal(ExchangeWire.MaxReferences - 4, h.Messages.Count(m => m == "refused: more than 4 modules in transfer at once"));
        // Refusals are final: more chunks of a refused module cost nothing.
        foreach (var hash in hashes) h.Send(hash, 1000, OneMiB, new byte[1000]);
        Assert.Equal(4 * PagedBuffer.PageSize, h.Receiver.ReassemblyBytes);
    }

    [Fact]
    public void PerConnectionCapRefusesTheTransferThatWouldExceedIt()
    {
        var a = HostileExchange.Hash(6);
        var b = HostileExchange.Hash(7);
        var options = Options();
        options.MaxReassemblyBytes = 1_500_000;
        var h = new HostileExchange(options, ("a", a), ("b", b));
        var chunk = new byte[1000];
        for (ulong i = 0; i < OneMiB - 1000; i += 1000) h.Send(a, i, OneMiB, chunk);
        for (ulong i = 0; i < OneMiB - 1000; i += 1000) h.Send(b, i, OneMiB, chunk);
        // Each alone fits in 2 MiB; together their pages would not: the one that grew over is refused.
        Assert.True(h.Receiver.ReassemblyBytes <= h.Options.MaxReassemblyBytes);
        Assert.Single(h.Messages, m => m == "refused: reassembly would exceed the per-connection cap of 1500000 bytes");
        Assert.Equal(1, h.Receiver.TransfersInProgress);
    }

    [Fact]
    public void StalledTransferIsRefusedAndItsMemoryFreed()
    {
        var hash = HostileExchange.Hash(8);
        var budget = new PluginTransferBudget(16 << 20);
        var h = new HostileExchange(Options(budget), ("slow", hash));
        h.Send(hash, 0, OneMiB, new byte[10_000], nowUs: 1_000_000);
        Assert.Equal(3 * PagedBuffer.PageSize, budget.InUse);
        h.Connection.RunTimers(30_000_000);
        Assert.Empty(h.Messages); // 29 s without data: not yet
        h.Connection.RunTimers(31_000_000);
        Assert.Equal("refused: transfer stalled: no new data for 30 s", Assert.Single(h.Messages));
        Assert.Equal(0, budget.InUse);
        Assert.Empty(h.Connection.Timers);
    }

    [Fact]
    public void FloodFromManyConnectionsStopsAtTheProcessWideCap()
    {
        // 40 connections, each announcing two 1 MiB modules and sending them as fast as it can, against
        // a process-wide budget of 8 MiB (each connection may hold 2 MiB).
        var budget = new PluginTransferBudget(8 << 20);
        var flood = Enumerable.Range(0, 40).Select(i => new HostileExchange(Options(budget), ("f" + i, HostileExchange.Hash(1000 + i)), ("g" + i, HostileExchange.Hash(2000 + i)))).ToList();
        var chunk = new byte[1100];
        long peak = 0;
        for (ulong offset = 0; offset < OneMiB - 1100; offset += 1100)
        {
            for (int i = 0; i < flood.Count; i++)
            {
                flood[i].Send(HostileExchange.Hash(1000 + i), offset, OneMiB, chunk);
                flood[i].Send(HostileExchange.Hash(2000 + i), offset, OneMiB, chunk);
            }
            peak = Math.Max(peak, budget.InUse);
        }
        output.WriteLine($"peak {peak} of {budget.MaxBytes}");
        Assert.True(peak <= budget.MaxBytes);
        Assert.True(flood.Sum(f => f.Receiver.ReassemblyBytes) <= budget.MaxBytes);
        Assert.All(flood, f => Assert.True(f.Receiver.ReassemblyBytes <= f.Options.MaxReassemblyBytes));
        int refusedByTheGlobalCap = flood.Sum(f => f.Messages.Count(m => m == "refused: reassembly would exceed the process-wide cap of 8388608 bytes"));
        Assert.True(refusedByTheGlobalCap > 40, $"{refusedByTheGlobalCap} refusals by the process-wide cap");

        // A well-behaved connection during the flood: its connection is untouched (no exception, no
        // close); its transfer is refused with the precise reason while the budget is exhausted…
        var module = TestModules.Observer(padding: 20_000);
        var good = Connection(module, budget);
        Deliver(good, module);
        Assert.Equal("refused: reassembly would exceed the process-wide cap of 8388608 bytes", Assert.Single(good.Messages));
        // …and once the flooding connections are gone, the budget is whole again and a transfer works.
        foreach (var f in flood) f.Receiver.OnConnectionClosed();
        Assert.Equal(0, budget.InUse);
        var later = Connection(module, budget);
        Deliver(later, module);
        Assert.Equal(module, Assert.Single(later.Connection.Injected));
        Assert.Equal(0, budget.InUse);
    }

    private static HostileExchange Connection(byte[] module, PluginTransferBudget budget)
    {
        var options = Options(budget);
        options.TrustPolicy = new PluginTrustPolicy().AllowModule(module);
        return new HostileExchange(options, ("test.observer", HostileExchange.HashOf(module)));
    }

    private static void Deliver(HostileExchange h, byte[] module)
    {
        var hash = HostileExchange.HashOf(module);
        for (int offset = 0; offset < module.Length; offset += 1100)
            h.Send(hash, (ulong)offset, (ulong)module.Length, module.AsSpan(offset, Math.Min(1100, module.Length - offset)));
    }

    /// <summary>Runs <paramref name="body"/> on its own thread; returns its exception and the bytes it allocated. The limit is a hang guard.</summary>
    private static (Exception? Error, long Allocated) Run(Action body)
    {
        Exception? error = null;
        long allocated = 0;
        var t = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { body(); } catch (Exception e) { error = e; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        t.Start();
        Assert.True(t.Join(TimeSpan.FromSeconds(120)), "still running after 120 s");
        return (error, allocated);
    }
}
