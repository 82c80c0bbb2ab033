namespace Pliant.Router.Tables;

/// <summary>
/// A bounded map whose entries expire after an idle time: a dictionary plus a list in order of last use.
/// Lookups that count as use move the entry to the end of the list (O(1), no allocation); inserting into a
/// full table evicts the least recently used entry; <see cref="Expire"/> removes entries idle for longer
/// than the timeout from the front. Memory: at most <see cref="Capacity"/> entries, each one dictionary slot
/// and one list node. Not thread-safe (the router serialises access).
/// </summary>
internal sealed class ExpiringTable<TKey, TValue>
    where TKey : notnull
{
    private sealed class Entry(TKey key, TValue value, long lastUsedUs)
    {
        public TKey Key = key;
        public TValue Value = value;
        public long LastUsedUs = lastUsedUs;
    }

    private readonly Dictionary<TKey, LinkedListNode<Entry>> _map;
    private readonly LinkedList<Entry> _byUse = new();

    public ExpiringTable(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _map = new Dictionary<TKey, LinkedListNode<Entry>>(Math.Min(capacity, 1024), comparer);
    }

    /// <summary>Most entries held.</summary>
    public int Capacity { get; }

    /// <summary>Entries held.</summary>
    public int Count => _map.Count;

    /// <summary>Called for each entry removed to make room (not for expiry or <see cref="Remove"/>).</summary>
    public Action<TKey, TValue>? Evicted { get; set; }

    /// <summary>Looks <paramref name="key"/> up and, if found, marks it used at <paramref name="nowUs"/>.</summary>
    public bool TryGet(TKey key, long nowUs, out TValue value)
    {
        if (!_map.TryGetValue(key, out var node))
        {
            value = default!;
            return false;
        }
        Touch(node, nowUs);
        value = node.Value.Value;
        return true;
    }

    /// <summary>Looks <paramref name="key"/> up without marking it used.</summary>
    public bool TryPeek(TKey key, out TValue value)
    {
        if (_map.TryGetValue(key, out var node))
        {
            value = node.Value.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Inserts or replaces <paramref name="key"/>; returns true when an entry was evicted to make room.</summary>
    public bool Set(TKey key, TValue value, long nowUs)
    {
        if (_map.TryGetValue(key, out var existing))
        {
            existing.Value.Value = value;
            Touch(existing, nowUs);
            return false;
        }
        bool evicted = false;
        if (_map.Count >= Capacity)
        {
            var oldest = _byUse.First!;
            _byUse.RemoveFirst();
            _map.Remove(oldest.Value.Key);
            Evicted?.Invoke(oldest.Value.Key, oldest.Value.Value);
            evicted = true;
        }
        var node = _byUse.AddLast(new Entry(key, value, nowUs));
        _map.Add(key, node);
        return evicted;
    }

    /// <summary>Removes <paramref name="key"/>; true if it was there.</summary>
    public bool Remove(TKey key)
    {
        if (!_map.Remove(key, out var node)) return false;
        _byUse.Remove(node);
        return true;
    }

    /// <summary>Removes every entry unused for <paramref name="idleUs"/> or longer; calls <paramref name="removed"/> for each. Returns how many.</summary>
    public int Expire(long nowUs, long idleUs, Action<TKey, TValue>? removed = null)
    {
        int n = 0;
        while (_byUse.First is { } oldest && nowUs - oldest.Value.LastUsedUs >= idleUs)
        {
            _byUse.RemoveFirst();
            _map.Remove(oldest.Value.Key);
            removed?.Invoke(oldest.Value.Key, oldest.Value.Value);
            n++;
        }
        return n;
    }

    /// <summary>Removes the least recently used entry; false when empty.</summary>
    public bool TryTakeOldest(out TKey key, out TValue value)
    {
        if (_byUse.First is not { } oldest)
        {
            key = default!;
            value = default!;
            return false;
        }
        _byUse.RemoveFirst();
        _map.Remove(oldest.Value.Key);
        key = oldest.Value.Key;
        value = oldest.Value.Value;
        return true;
    }

    /// <summary>When the least recently used entry was last used; null when empty.</summary>
    public long? OldestUseUs => _byUse.First?.Value.LastUsedUs;

    /// <summary>The values, least recently used first (a snapshot).</summary>
    public List<TValue> Values()
    {
        var list = new List<TValue>(_map.Count);
        foreach (var e in _byUse) list.Add(e.Value);
        return list;
    }

    private void Touch(LinkedListNode<Entry> node, long nowUs)
    {
        node.Value.LastUsedUs = nowUs;
        if (node.Next is null) return;
        _byUse.Remove(node);
        _byUse.AddLast(node);
    }
}
