namespace Pliant.Quic.Streams;

/// <summary>
/// A set of disjoint, non-adjacent half-open ranges [Start, End) kept sorted. Inserts use binary
/// search and merge neighbours, so adding n ranges in any order costs O(n log n) comparisons.
/// </summary>
internal sealed class RangeSet
{
    private readonly List<(ulong Start, ulong End)> _ranges = new();

    public int Count => _ranges.Count;

    public (ulong Start, ulong End) this[int index] => _ranges[index];

    public bool IsEmpty => _ranges.Count == 0;

    public void Clear() => _ranges.Clear();

    /// <summary>Index of the first range whose End is &gt;= <paramref name="value"/>.</summary>
    private int LowerBoundByEnd(ulong value)
    {
        int lo = 0, hi = _ranges.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_ranges[mid].End < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Adds [start, end), merging with overlapping or touching ranges.</summary>
    public void Add(ulong start, ulong end)
    {
        if (end <= start) return;
        int i = LowerBoundByEnd(start);
        int j = i;
        while (j < _ranges.Count && _ranges[j].Start <= end)
        {
            start = Math.Min(start, _ranges[j].Start);
            end = Math.Max(end, _ranges[j].End);
            j++;
        }
        if (j > i) _ranges.RemoveRange(i, j - i);
        _ranges.Insert(i, (start, end));
    }

    /// <summary>Removes [start, end) from the set.</summary>
    public void Remove(ulong start, ulong end)
    {
        if (end <= start) return;
        int i = LowerBoundByEnd(start + 1);
        while (i < _ranges.Count && _ranges[i].Start < end)
        {
            var (s, e) = _ranges[i];
            if (s < start && e > end)
            {
                _ranges[i] = (s, start);
                _ranges.Insert(i + 1, (end, e));
                return;
            }
            if (s < start) { _ranges[i] = (s, start); i++; continue; }
            if (e > end) { _ranges[i] = (end, e); return; }
            _ranges.RemoveAt(i);
        }
    }

    /// <summary>True if every value of [start, end) is in the set.</summary>
    public bool Contains(ulong start, ulong end)
    {
        if (end <= start) return true;
        int i = LowerBoundByEnd(start + 1);
        return i < _ranges.Count && _ranges[i].Start <= start && _ranges[i].End >= end;
    }

    /// <summary>
    /// The first gap of [start, end) not covered by the set, or false when all of it is covered.
    /// </summary>
    public bool TryGetFirstGap(ulong start, ulong end, out ulong gapStart, out ulong gapEnd)
    {
        int i = LowerBoundByEnd(start + 1);
        ulong pos = start;
        while (pos < end)
        {
            if (i >= _ranges.Count || _ranges[i].Start >= end) { gapStart = pos; gapEnd = end; return true; }
            var (s, e) = _ranges[i];
            if (s > pos) { gapStart = pos; gapEnd = Math.Min(s, end); return true; }
            pos = Math.Max(pos, e);
            i++;
        }
        gapStart = gapEnd = 0;
        return false;
    }
}
