namespace Pliant.Quic.Connection;

/// <summary>
/// A token bucket on the core's microsecond clock: at most <c>ratePerSecond</c> events a second on
/// average, in bursts of at most <c>burst</c>. Used to cap what attackers can make the stack send
/// (stateless answers, PATH_RESPONSE, CONNECTION_CLOSE in the closing state).
/// </summary>
internal struct TokenBucket(int ratePerSecond, int burst)
{
    private long _tokensMicro = (long)burst * 1_000_000; // tokens × 10^6, so refills need no division per call
    private long _lastUs = long.MinValue;

    /// <summary>Takes one token if there is one at <paramref name="nowUs"/>.</summary>
    public bool TryTake(long nowUs)
    {
        if (ratePerSecond <= 0) return false;
        long cap = (long)burst * 1_000_000;
        if (_lastUs != long.MinValue && nowUs > _lastUs)
            _tokensMicro = Math.Min(cap, _tokensMicro + (nowUs - _lastUs) * ratePerSecond);
        if (nowUs > _lastUs || _lastUs == long.MinValue) _lastUs = nowUs;
        if (_tokensMicro < 1_000_000) return false;
        _tokensMicro -= 1_000_000;
        return true;
    }
}
