namespace Pliant.Plugins.Exchange;

/// <summary>
/// The byte ranges of a module received so far: sorted, disjoint, merged when they touch. Finding
/// where a chunk goes is a binary search; the number of separate ranges is capped, so inserting and
/// merging are bounded too (a 1-byte-chunk pattern with gaps cannot grow the set, or the time per
/// chunk, without limit). Not thread-safe.
/// </summary>
internal sealed class ReceivedRanges(int maxRanges)
{
    private readonly List<(ulong Start, ulong End)> _ranges = [];

    /// <summary>Separate ranges held.</summary>
    public int Count => _ranges.Count;

    /// <summary>Bytes covered by the ranges.</summary>
    public ulong Covered { get; private set; }

    /// <summary>True when one range covers [0, <paramref name="total"/>).</summary>
    public bool Covers(ulong total) => _ranges.Count == 1 && _ranges[0].Start == 0 && _ranges[0].End == total;

    /// <summary>
    /// Adds [<paramref name="start"/>, <paramref name="end"/>); returns the bytes it newly covers, or −1
    /// (and changes nothing) when it would leave more than the cap of separate ranges.
    /// </summary>
    public long Add(ulong start, ulong end)
    {
        if (end <= start) return 0;
        // First range that ends at or after start (it touches or overlaps the chunk, or lies beyond it).
        int lo = 0, hi = _ranges.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_ranges[mid].End < start) lo = mid + 1; else hi = mid;
        }
        int first = lo, last = lo;
        ulong mergedStart = start, mergedEnd = end, overlap = 0;
        while (last < _ranges.Count && _ranges[last].Start <= end)
        {
            var r = _ranges[last];
            ulong s = Math.Max(r.Start, start), e = Math.Min(r.End, end);
            if (e > s) overlap += e - s;
            mergedStart = Math.Min(mergedStart, r.Start);
            mergedEnd = Math.Max(mergedEnd, r.End);
            last++;
        }
        if (last == first && _ranges.Count >= maxRanges) return -1;
        _ranges.RemoveRange(first, last - first);
        _ranges.Insert(first, (mergedStart, mergedEnd));
        ulong added = end - start - overlap;
        Covered += added;
        return (long)added;
    }
}
