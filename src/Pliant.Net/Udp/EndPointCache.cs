using System.Net;

namespace Pliant.Net.Udp;

/// <summary>
/// Maps raw addresses to <see cref="IPEndPoint"/> instances so receiving from a known peer does
/// not allocate. Bounded: cleared when full (a busy server with churn just re-creates entries).
/// Used by the receive thread only.
/// </summary>
internal sealed class EndPointCache
{
    private readonly record struct Key(ulong High, ulong Low, ushort Port, uint ScopeId, bool V6);

    private readonly Dictionary<Key, IPEndPoint> _map = [];
    private readonly int _capacity;
    private Key _lastKey;
    private IPEndPoint? _last;

    public EndPointCache(int capacity = 4096) => _capacity = capacity;

    /// <summary>An IPv4 endpoint from the address in network byte order.</summary>
    public IPEndPoint GetV4(ReadOnlySpan<byte> address4, ushort port)
    {
        var key = new Key(0, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address4), port, 0, false);
        return Get(key, address4);
    }

    /// <summary>An IPv6 endpoint; IPv4-mapped addresses come back as IPv4.</summary>
    public IPEndPoint GetV6(ReadOnlySpan<byte> address16, ushort port, uint scopeId)
    {
        if (IsV4Mapped(address16)) return GetV4(address16[12..], port);
        var key = new Key(
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(address16),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(address16[8..]),
            port, scopeId, true);
        return Get(key, address16, scopeId);
    }

    private IPEndPoint Get(Key key, ReadOnlySpan<byte> address, uint scopeId = 0)
    {
        if (_last is not null && key == _lastKey) return _last;
        if (!_map.TryGetValue(key, out var ep))
        {
            if (_map.Count >= _capacity) _map.Clear();
            var ip = key.V6 ? new IPAddress(address, scopeId) : new IPAddress(address);
            ep = new IPEndPoint(ip, key.Port);
            _map[key] = ep;
        }
        _lastKey = key;
        _last = ep;
        return ep;
    }

    internal static bool IsV4Mapped(ReadOnlySpan<byte> a) =>
        a.Length == 16 && System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(a) == 0 &&
        a[8] == 0 && a[9] == 0 && a[10] == 0xff && a[11] == 0xff;
}
