using System.Runtime.InteropServices;

namespace Pliant.Cli;

/// <summary>
/// Linux CPU affinity (sched_setaffinity) for benchmarks that must compare two things on the same CPU: this VM's
/// vCPUs run at different speeds (one up to 20 % slower than the other for minutes, then the other way round).
/// CPUs 0–63 only; a no-op on other systems.
/// </summary>
internal static class CpuAffinity
{
    [DllImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static extern int SetAffinity(int tid, nint size, ref ulong mask);

    [DllImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static extern int GetAffinity(int tid, nint size, ref ulong mask);

    /// <summary>The CPUs this process may run on (empty if that cannot be read).</summary>
    public static int[] Allowed()
    {
        if (!OperatingSystem.IsLinux()) return [];
        ulong mask = 0;
        try
        {
            if (GetAffinity(0, sizeof(ulong), ref mask) != 0) return [];
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return [];
        }
        return Enumerable.Range(0, 64).Where(c => (mask >> c & 1) != 0).ToArray();
    }

    /// <summary>Pins thread <paramref name="tid"/> (0: the calling thread) to the CPUs in <paramref name="mask"/>.</summary>
    public static void Pin(int tid, ulong mask)
    {
        if (!OperatingSystem.IsLinux() || mask == 0) return;
        if (SetAffinity(tid, sizeof(ulong), ref mask) != 0)
            throw new InvalidOperationException($"sched_setaffinity({tid}, mask 0x{mask:x}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Pins thread <paramref name="tid"/> (0: the calling thread) to <paramref name="cpu"/>; -1 does nothing.</summary>
    public static void Pin(int tid, int cpu)
    {
        if (cpu is >= 0 and <= 63) Pin(tid, 1UL << cpu);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a new thread pinned to <paramref name="cpu"/> (-1: not pinned) with
    /// <paramref name="stackBytes"/> of stack (0: the default), and waits for it.
    /// </summary>
    public static void RunPinned(int cpu, Action action, int stackBytes = 0)
    {
        var t = new Thread(() =>
        {
            Pin(0, cpu);
            action();
        }, stackBytes);
        t.Start();
        t.Join();
    }

    /// <summary>
    /// Pins every thread process <paramref name="pid"/> has now to <paramref name="cpu"/> (-1: to every CPU this
    /// process may use). Threads that exit meanwhile are skipped; threads started later inherit their creator's.
    /// </summary>
    public static void PinProcess(int pid, int cpu)
    {
        if (!OperatingSystem.IsLinux()) return;
        ulong mask = cpu is >= 0 and <= 63 ? 1UL << cpu : Allowed().Aggregate(0UL, (m, c) => m | 1UL << c);
        foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int tid)) continue;
            try
            {
                Pin(tid, mask);
            }
            catch (InvalidOperationException) when (!Directory.Exists(dir))
            {
            }
        }
    }
}
