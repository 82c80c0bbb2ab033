using System.Diagnostics;

namespace Pliant.Net.Internal;

/// <summary>The core's time base: microseconds from <see cref="Stopwatch"/> (monotonic).</summary>
internal static class MonotonicClock
{
    private static readonly long TicksPerUs = Stopwatch.Frequency % 1_000_000 == 0 ? Stopwatch.Frequency / 1_000_000 : 0;
    private static readonly double UsPerTick = 1_000_000.0 / Stopwatch.Frequency;

    /// <summary>Now, in microseconds.</summary>
    public static long NowUs
    {
        get
        {
            long ticks = Stopwatch.GetTimestamp();
            return TicksPerUs != 0 ? ticks / TicksPerUs : (long)(ticks * UsPerTick);
        }
    }

    /// <summary>Milliseconds to wait until <paramref name="deadlineUs"/> (rounded up, clamped to [0, max]).</summary>
    public static int MillisecondsUntil(long? deadlineUs, long nowUs, int maxMs)
    {
        if (deadlineUs is not { } d) return maxMs;
        long us = d - nowUs;
        if (us <= 0) return 0;
        long ms = (us + 999) / 1000;
        return ms >= maxMs ? maxMs : (int)ms;
    }
}
