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
        ChunkPool.Reserve(chunks * (long)ChunkPool.ChunkSize);
        Assert.True(ChunkPool.FreeCount >= chunks);

        var rented = new byte[chunks][];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < chunks; i++) rented[i] = ChunkPool.Rent();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        foreach (var c in rented) ChunkPool.Return(c);

        Assert.Equal(0, allocated);
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
