namespace Pliant.Quic.Tests;

/// <summary>
/// Checks "no allocation per call" without flaking on one-off runtime work (tiered JIT, call
/// counting stubs) that may allocate a few KiB on the calling thread once: after a warm-up, the
/// average over many calls must be below one byte. Any real allocation per call is at least 24 bytes,
/// so it still fails clearly.
/// </summary>
internal static class AllocationAssert
{
    public static void NoAllocationPerCall(Action<int> call, int warmup = 500, int iterations = 5000)
    {
        for (int i = 0; i < warmup; i++) call(i);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < iterations; i++) call(warmup + i);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < iterations, $"{allocated} bytes allocated over {iterations} calls");
    }
}
