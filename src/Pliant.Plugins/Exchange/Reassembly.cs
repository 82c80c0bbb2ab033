namespace Pliant.Plugins.Exchange;

/// <summary>
/// Receive-side state of one module in transfer: its pages, the ranges received, the bytes it holds of
/// the budgets and when data last arrived. Out-of-order, duplicate and overlapping chunks are fine
/// (overlaps are written again; the content hash decides at the end).
/// </summary>
internal sealed class Reassembly(PluginReference reference, ContentHash hash, ulong total, int maxRanges, long nowUs)
{
    public PluginReference Reference { get; } = reference;
    public ContentHash Hash { get; } = hash;
    public PagedBuffer Buffer { get; } = new(total);
    public ReceivedRanges Ranges { get; } = new(maxRanges);

    /// <summary>Bytes this transfer holds of the connection's cap and of the shared budget.</summary>
    public long Reserved { get; set; }

    /// <summary>Connection time (µs) when new bytes last arrived.</summary>
    public long LastProgressUs { get; set; } = nowUs;

    public bool IsComplete => Ranges.Covers(Buffer.Total);
}
