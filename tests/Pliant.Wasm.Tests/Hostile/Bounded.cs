namespace Pliant.Wasm.Tests.Hostile;

/// <summary>
/// Runs hostile work on a thread of its own and reports what it cost: the exception it ended with and
/// the bytes it allocated (<see cref="GC.GetAllocatedBytesForCurrentThread"/> on that thread). The
/// time limit is only a guard against hangs, never an assertion about speed.
/// </summary>
internal static class Bounded
{
    public static (Exception? Error, long Allocated) Run(Action body, int stackBytes = 0, int hangGuardSeconds = 120)
    {
        Exception? error = null;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { body(); }
            catch (Exception e) { error = e; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, stackBytes);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(hangGuardSeconds)), $"still running after {hangGuardSeconds} s");
        return (error, allocated);
    }
}
