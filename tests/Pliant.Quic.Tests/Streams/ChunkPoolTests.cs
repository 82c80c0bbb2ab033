using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

[CollectionDefinition(nameof(ChunkPoolTests), DisableParallelization = true)]
public sealed class ChunkPoolCollection;

/// <summary>The process-wide chunk pool: no test may rent chunks concurrently, so these run alone.</summary>
[Collection(nameof(ChunkPoolTests))]
public class ChunkPoolTests
{
    [Fact]
    public void ReservedChunksAreRentedWithoutAllocating()
    {
        const int chunks = 64;
        var rented = new byte[chunks][];
        // The pool is shared with tests running in parallel, which may take reserved chunks between Reserve and
        // Rent: the least of three attempts must be zero (a pool that allocates on every rent shows in all three).
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3 && least > 0; attempt++)
        {
            ChunkPool.Reserve(chunks * (long)ChunkPool.ChunkSize);
            Assert.True(ChunkPool.FreeCount >= chunks);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < chunks; i++) rented[i] = ChunkPool.Rent();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            foreach (var c in rented) ChunkPool.Return(c);
        }

        Assert.Equal(0, least);
        Assert.All(rented, c => Assert.Equal(ChunkPool.ChunkSize, c.Length));
    }

    [Fact]
    public void ReserveIsCappedAndReturnRejectsForeignArrays()
    {
        ChunkPool.Reserve(long.MaxValue / 2);
        Assert.Equal(ChunkPool.MaxFreeChunks, ChunkPool.FreeCount);
        ChunkPool.Return(ChunkPool.Rent());
        ChunkPool.Return(new byte[ChunkPool.ChunkSize]); // full: dropped, not kept beyond the cap
        Assert.Equal(ChunkPool.MaxFreeChunks, ChunkPool.FreeCount);
        Assert.Throws<ArgumentException>(() => ChunkPool.Return(new byte[100]));
    }
}
