using System.Diagnostics;

namespace Pliant.Cli;

/// <summary>Best-of-N wall-clock timing for in-process micro-benchmarks (also linked into bench/wasm).</summary>
internal static class BenchTiming
{
    /// <summary>Runs <paramref name="a"/> once to warm up, then <paramref name="runs"/> times; the fastest run in ms.</summary>
    public static double BestMs(Action a, int runs)
    {
        a();
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            a();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}
