namespace Pliant.Plugins.Exchange;

/// <summary>
/// A byte budget shared by the plugin exchanges of many connections: what all of them may hold at once
/// for modules being received (reassembly pages) or loaded. A connection whose transfer would need more
/// than is left refuses that transfer (a plugin event); other connections and transfers are unaffected.
/// <see cref="Shared"/> is the process-wide default. Thread-safe.
/// </summary>
public sealed class PluginTransferBudget
{
    private long _inUse;

    /// <summary>A budget of <paramref name="maxBytes"/>.</summary>
    public PluginTransferBudget(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        MaxBytes = maxBytes;
    }

    /// <summary>The process-wide budget every <see cref="PluginExchangeOptions"/> uses unless given another: 16 MiB.</summary>
    public static PluginTransferBudget Shared { get; } = new(16 << 20);

    /// <summary>Bytes the budget allows in use at once.</summary>
    public long MaxBytes { get; }

    /// <summary>Bytes in use now.</summary>
    public long InUse => Volatile.Read(ref _inUse);

    /// <summary>Takes <paramref name="bytes"/> if they fit; false (and nothing taken) if not.</summary>
    internal bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _inUse, bytes) <= MaxBytes) return true;
        Interlocked.Add(ref _inUse, -bytes);
        return false;
    }

    /// <summary>Gives back <paramref name="bytes"/>.</summary>
    internal void Release(long bytes) => Interlocked.Add(ref _inUse, -bytes);
}

/// <summary>
/// What one exchange holds of a <see cref="PluginTransferBudget"/>. The exchange gives it back when a
/// transfer ends or its connection closes; should a connection be dropped without closing, the
/// finalizer gives back whatever is still held, so the shared budget cannot leak.
/// </summary>
internal sealed class BudgetLease(PluginTransferBudget budget)
{
    private long _held;

    /// <summary>Bytes held.</summary>
    public long Held => Volatile.Read(ref _held);

    public bool TryReserve(long bytes)
    {
        if (!budget.TryReserve(bytes)) return false;
        Interlocked.Add(ref _held, bytes);
        return true;
    }

    public void Release(long bytes)
    {
        if (bytes <= 0) return;
        Interlocked.Add(ref _held, -bytes);
        budget.Release(bytes);
    }

    public void ReleaseAll()
    {
        long held = Interlocked.Exchange(ref _held, 0);
        if (held > 0) budget.Release(held);
    }

    ~BudgetLease() => budget.Release(Interlocked.Exchange(ref _held, 0));
}
