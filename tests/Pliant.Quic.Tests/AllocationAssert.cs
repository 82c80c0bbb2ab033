namespace Pliant.Quic.Tests;

/// <summary>
/// Checks "no allocation per call" without flaking on one-off runtime work (tiered JIT, call
/// counting stubs, OSR) that may allocate a few KiB on the calling thread once: after a warm-up, the
/// average over many calls must be below one byte in at least one of three measured rounds (one-off work
/// lands in one round; a real allocation per call is at least 24 bytes and shows in every round).
/// </summary>
internal static class AllocationAssert
{
    public static void NoAllocationPerCall(Action<int> call, int warmup = 500, int iterations = 5000)
    {
        for (int i = 0; i < warmup; i++) call(i);
        long least = long.MaxValue;
        for (int round = 0; round < 3 && least >= iterations; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < iterations; i++) call(warmup + round * iterations + i);
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(least < iterations, $"{least} bytes allocated over {iterations} calls (the least of three rounds)");
    }
}
