namespace Pliant.Plugins.Abi;

/// <summary>
/// Rate limit on the events one plugin instance raises (<c>emit_event</c>, <c>log</c>): at most
/// <see cref="PluginLimits.MaxEventsPerCall"/> per call from the host, and a token bucket of
/// <see cref="PluginLimits.EventBurst"/> events refilled at <see cref="PluginLimits.EventsPerSecond"/>
/// by connection time. An event loop therefore raises at most a burst, then a trickle; the rest are
/// dropped and counted. Not thread-safe (one instance runs on one connection's thread).
/// </summary>
internal sealed class EventLimiter(PluginLimits limits)
{
    private const long MicrosPerSecond = 1_000_000;
    private long _tokensMicro = (long)Math.Max(limits.EventBurst, 0) * MicrosPerSecond; // tokens × 10^6, so refills stay integral
    private long _lastUs = long.MinValue;
    private int _thisCall;

    /// <summary>Events dropped so far.</summary>
    public long Dropped { get; private set; }

    /// <summary>A new call from the host starts: the per-call count restarts.</summary>
    public void NewCall() => _thisCall = 0;

    /// <summary>True when an event may be raised now (and takes a token); false (and counted) when it is dropped.</summary>
    public bool TryTake(long nowUs)
    {
        long capacity = (long)Math.Max(limits.EventBurst, 0) * MicrosPerSecond;
        if (_lastUs != long.MinValue && nowUs > _lastUs)
            _tokensMicro = Math.Min(capacity, _tokensMicro + Math.Min(nowUs - _lastUs, capacity) * Math.Max(limits.EventsPerSecond, 0));
        if (_lastUs == long.MinValue || nowUs > _lastUs) _lastUs = nowUs;
        if (_thisCall >= limits.MaxEventsPerCall || _tokensMicro < MicrosPerSecond)
        {
            Dropped++;
            return false;
        }
        _thisCall++;
        _tokensMicro -= MicrosPerSecond;
        return true;
    }
}
