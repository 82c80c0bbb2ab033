using System.Collections;

namespace Pliant.Quic.Streams;

/// <summary>
/// A set of disjoint, non-adjacent half-open ranges [Start, End) in a balanced tree, so any
/// insertion order costs O(log n) per operation (a peer sending many small out-of-order pieces
/// cannot make reassembly quadratic). In-order appends and prefix removals, the common cases,
/// use the tree's Min/Max without allocating a view.
/// </summary>
internal sealed class RangeSet : IEnumerable<(ulong Start, ulong End)>
{
    private sealed class ByStart : IComparer<(ulong Start, ulong End)>
    {
        public static readonly ByStart Instance = new();

        public int Compare((ulong Start, ulong End) x, (ulong Start, ulong End) y) => x.Start.CompareTo(y.Start);
    }

    private readonly SortedSet<(ulong Start, ulong End)> _set = new(ByStart.Instance);

    public int Count => _set.Count;

    public bool IsEmpty => _set.Count == 0;

    /// <summary>The lowest range (the set must not be empty).</summary>
    public (ulong Start, ulong End) First => _set.Min;

    /// <summary>The highest range (the set must not be empty).</summary>
    public (ulong Start, ulong End) Last => _set.Max;

    public void Clear() => _set.Clear();

    /// <summary>The range with the greatest Start &lt;= <paramref name="value"/>.</summary>
    private bool TryFloor(ulong value, out (ulong Start, ulong End) r)
    {
        r = default;
        if (_set.Count == 0) return false;
        var max = _set.Max;
        if (max.Start <= value) { r = max; return true; }
        var min = _set.Min;
        if (min.Start > value) return false;
        if (min.Start == value) { r = min; return true; }
        r = _set.GetViewBetween(min, (value, 0)).Max;
        return true;
    }

    /// <summary>The range with the smallest Start &gt;= <paramref name="value"/>.</summary>
    private bool TryCeiling(ulong value, out (ulong Start, ulong End) r)
    {
        r = default;
        if (_set.Count == 0) return false;
        var min = _set.Min;
        if (min.Start >= value) { r = min; return true; }
        var max = _set.Max;
        if (max.Start < value) return false;
        if (max.Start == value) { r = max; return true; }
        r = _set.GetViewBetween((value, 0), max).Min;
        return true;
    }

    /// <summary>Adds [start, end), merging with overlapping or touching ranges.</summary>
    public void Add(ulong start, ulong end)
    {
        if (end <= start) return;
        if (TryFloor(start, out var f) && f.End >= start)
        {
            if (f.End >= end) return;
            _set.Remove(f);
            start = f.Start;
        }
        while (TryCeiling(start, out var c) && c.Start <= end)
        {
            _set.Remove(c);
            end = Math.Max(end, c.End);
        }
        _set.Add((start, end));
    }

    /// <summary>Removes [start, end) from the set.</summary>
    public void Remove(ulong start, ulong end)
    {
        if (end <= start) return;
        if (TryFloor(start, out var f) && f.Start < start && f.End > start)
        {
            _set.Remove(f);
            _set.Add((f.Start, start));
            if (f.End > end) { _set.Add((end, f.End)); return; }
        }
        while (TryCeiling(start, out var c) && c.Start < end)
        {
            _set.Remove(c);
            if (c.End > end) { _set.Add((end, c.End)); return; }
        }
    }

    /// <summary>True if every value of [start, end) is in the set.</summary>
    public bool Contains(ulong start, ulong end) =>
        end <= start || (TryFloor(start, out var f) && f.End >= end);

    /// <summary>The first gap of [start, end) not covered by the set; false when all is covered.</summary>
    public bool TryGetFirstGap(ulong start, ulong end, out ulong gapStart, out ulong gapEnd)
    {
        gapStart = gapEnd = 0;
        ulong pos = start;
        if (TryFloor(start, out var f) && f.End > start) pos = f.End;
        if (pos >= end) return false;
        // Ranges are not adjacent, so the next one starts strictly after pos.
        gapStart = pos;
        gapEnd = TryCeiling(pos, out var c) && c.Start < end ? c.Start : end;
        return true;
    }

    public IEnumerator<(ulong Start, ulong End)> GetEnumerator() => _set.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
