using System.Globalization;

namespace Pliant.Cli;

/// <summary>What /proc tells about a process: CPU seconds, context switches of all its threads, RSS.</summary>
internal readonly record struct ProcStats(double CpuSeconds, long ContextSwitches, double RssKb)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Reads the figures of process <paramref name="pid"/>; NaN when it is gone.</summary>
    public static ProcStats Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 14 and 15 (utime, stime) in clock ticks; after the ')' they are at 11 and 12.
            double cpu = (long.Parse(fields[11], Inv) + long.Parse(fields[12], Inv)) / 100.0;
            long ctx = 0;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    foreach (var l in File.ReadLines(Path.Combine(task, "status")))
                        if (l.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || l.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                            ctx += long.Parse(l[(l.IndexOf(':') + 1)..].Trim(), Inv);
                }
                catch (IOException) { } // a thread that just ended
            }
            double rss = 0;
            foreach (var l in File.ReadLines($"/proc/{pid}/status"))
                if (l.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], Inv);
            return new ProcStats(cpu, ctx, rss);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return new ProcStats(double.NaN, 0, double.NaN);
        }
    }
}
