using System.Runtime.InteropServices;
using Pliant.Net.Udp.Linux;

namespace Pliant.Net.Internal;

/// <summary>
/// Sleeps shorter than a millisecond — what pacing needs between bursts — without spinning a core:
/// <c>nanosleep</c> with the calling thread's timer slack lowered to 10 µs on Linux (the default 50 µs
/// would stretch every pacing gap). Elsewhere it yields, as before.
/// </summary>
internal static class PreciseSleep
{
    private const long TimerSlackNs = 10_000;

    [ThreadStatic]
    private static bool t_slackSet;

    /// <summary>True where sub-millisecond sleeps are available.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux();

    /// <summary>Sleeps about <paramref name="microseconds"/> (at most a second); false if unsupported.</summary>
    public static unsafe bool Sleep(long microseconds)
    {
        if (!IsSupported || microseconds <= 0) return false;
        if (!t_slackSet)
        {
            t_slackSet = true;
            _ = LibC.PrCtl(LibC.PR_SET_TIMERSLACK, (nuint)TimerSlackNs, 0, 0, 0);
        }
        var request = new LibC.TimeSpec { Seconds = 0, Nanoseconds = Math.Min(microseconds, 999_999) * 1000 };
        try
        {
            _ = LibC.NanoSleep(&request, null); // EINTR: wake early, the caller re-checks its deadline
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
        {
            return false;
        }
    }
}
