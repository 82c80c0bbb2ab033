namespace Pliant.Http3.Session;

/// <summary>
/// Credits for abandoned requests (see <see cref="Http3ServerOptions.AbandonedRequestBudget"/>): each
/// abandoned request spends one, each completed request earns one back, never above the initial amount.
/// Thread-safe; no clock, so the same requests give the same outcome.
/// </summary>
internal sealed class RequestBudget(int budget)
{
    private readonly int _max = budget;
    private int _credits = budget;

    /// <summary>Spends one credit; false when none was left.</summary>
    public bool Spend() => Interlocked.Decrement(ref _credits) >= 0;

    /// <summary>Earns one credit back, up to the initial amount.</summary>
    public void Earn()
    {
        int c;
        do
        {
            c = Volatile.Read(ref _credits);
            if (c >= _max) return;
        }
        while (Interlocked.CompareExchange(ref _credits, c + 1, c) != c);
    }
}
