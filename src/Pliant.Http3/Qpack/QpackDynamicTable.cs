namespace Pliant.Http3.Qpack;

/// <summary>
/// The QPACK dynamic table (RFC 9204 §3.2): field lines in insertion order, addressed by absolute index
/// (0 for the first entry ever inserted, §3.2.4), evicted oldest first when a new entry or a lower
/// capacity needs the room (§3.2.2). Sizes count octets (Latin-1) of name and value plus 32 (§3.2.1).
/// Memory: at most <see cref="Capacity"/> bytes of entry size, so at most Capacity/32 entries. Not thread-safe.
/// </summary>
public sealed class QpackDynamicTable
{
    /// <summary>RFC 9204 §3.2.1: per-entry overhead.</summary>
    public const int EntryOverhead = 32;

    private Entry[] _ring = new Entry[8];
    private int _head;   // ring slot of the oldest entry
    private int _count;  // entries held

    /// <param name="maxCapacity">The most <see cref="SetCapacity"/> accepts (SETTINGS_QPACK_MAX_TABLE_CAPACITY of the decoder).</param>
    public QpackDynamicTable(ulong maxCapacity) => MaxCapacity = maxCapacity;

    /// <summary>One entry.</summary>
    public readonly record struct Entry(string Name, string Value, long Size);

    /// <summary>The limit on <see cref="Capacity"/>.</summary>
    public ulong MaxCapacity { get; }

    /// <summary>The current capacity (0 until the encoder sets one, §3.2.3).</summary>
    public long Capacity { get; private set; }

    /// <summary>Sum of entry sizes.</summary>
    public long Size { get; private set; }

    /// <summary>Entries inserted since the connection began (the next absolute index).</summary>
    public long InsertCount { get; private set; }

    /// <summary>Entries evicted so far: the absolute index of the oldest entry held.</summary>
    public long DroppedCount => InsertCount - _count;

    /// <summary>Entries held now.</summary>
    public int Count => _count;

    /// <summary>Entry size of a field line (§3.2.1); strings map to octets one char each (Latin-1).</summary>
    public static long SizeOf(string name, string value) => (long)name.Length + value.Length + EntryOverhead;

    /// <summary>
    /// Set Dynamic Table Capacity (§4.3.1): above <see cref="MaxCapacity"/> is <paramref name="error"/>; entries
    /// are evicted until the table fits.
    /// </summary>
    public void SetCapacity(ulong capacity, Http3ErrorCode error)
    {
        if (capacity > MaxCapacity) throw new Http3Exception(error, $"dynamic table capacity {capacity} exceeds the maximum {MaxCapacity}");
        Capacity = (long)capacity;
        EvictUntil(Capacity);
    }

    /// <summary>Inserts an entry, evicting the oldest as needed (§3.2.2); an entry larger than the capacity is <paramref name="error"/>.</summary>
    public void Insert(string name, string value, Http3ErrorCode error) => Insert(name, value, SizeOf(name, value), error);

    /// <summary>Insert with a size the caller already computed.</summary>
    public void Insert(string name, string value, long size, Http3ErrorCode error)
    {
        if (size > Capacity) throw new Http3Exception(error, $"entry of {size} bytes exceeds the dynamic table capacity {Capacity}");
        EvictUntil(Capacity - size);
        if (_count == _ring.Length) Grow();
        _ring[(_head + _count) % _ring.Length] = new Entry(name, value, size);
        _count++;
        Size += size;
        InsertCount++;
    }

    /// <summary>The entry with absolute index <paramref name="absolute"/>, if it is held (inserted and not evicted).</summary>
    public bool TryGet(long absolute, out Entry entry)
    {
        long oldest = DroppedCount;
        if (absolute < oldest || absolute >= InsertCount)
        {
            entry = default;
            return false;
        }
        entry = _ring[(int)((_head + (absolute - oldest)) % _ring.Length)];
        return true;
    }

    /// <summary>The entry at <paramref name="absolute"/>, or <paramref name="error"/> when evicted or not inserted (§2.2.3).</summary>
    public Entry Get(long absolute, Http3ErrorCode error) =>
        TryGet(absolute, out var e) ? e : throw new Http3Exception(error, $"dynamic table index {absolute} is not in the table ({DroppedCount}..{InsertCount - 1})");

    /// <summary>
    /// Would inserting an entry of <paramref name="size"/> evict only entries below absolute index
    /// <paramref name="limit"/> (exclusive)? (An encoder may evict only entries that are evictable, §2.1.1.)
    /// </summary>
    public bool CanInsertEvictingBelow(long size, long limit)
    {
        if (size > Capacity) return false;
        long needed = Size + size - Capacity;
        long abs = DroppedCount;
        for (int i = 0; needed > 0; i++, abs++)
        {
            if (i == _count || abs >= limit) return false;
            needed -= _ring[(_head + i) % _ring.Length].Size;
        }
        return true;
    }

    private void EvictUntil(long target)
    {
        while (Size > target && _count > 0)
        {
            Size -= _ring[_head].Size;
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
        }
    }

    private void Grow()
    {
        var bigger = new Entry[_ring.Length * 2];
        for (int i = 0; i < _count; i++) bigger[i] = _ring[(_head + i) % _ring.Length];
        _ring = bigger;
        _head = 0;
    }
}
