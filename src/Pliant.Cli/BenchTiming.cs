using System.Diagnostics;

namespace Pliant.Cli;

/// <summary>Best-of-N wall-clock timing for in-process micro-benchmarks (also linked into bench/wasm).</summary>
internal static class BenchTiming
{
    /// <summary>
    /// Runs <paramref name="a"/> once to warm up, then <paramref name="runs"/> times; the fastest run in ms, by
    /// <paramref name="clockMs"/> (a clock in ms, e.g. process CPU time) or wall time.
    /// </summary>
    public static double BestMs(Action a, int runs, Func<double>? clockMs = null)
    {
        clockMs ??= () => Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        a();
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            double start = clockMs();
            a();
            best = Math.Min(best, clockMs() - start);
        }
        return best;
    }
}
