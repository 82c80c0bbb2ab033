namespace Pliant.Router.QuicLb;

/// <summary>
/// The load balancer's side of QUIC-LB (draft-ietf-quic-load-balancers-21 §4.2, §5.5): up to seven
/// configurations told apart by the config rotation bits, and for each a table from server IDs — or host
/// prefixes of them (§7.1, <see cref="ServerIdLayout"/>) — to backends; the longest prefix wins. Built once,
/// then read-only and thread-safe: routing a datagram allocates nothing and costs at most four AES blocks.
/// </summary>
public sealed class QuicLbRouting
{
    private readonly QuicLbCodec?[] _codecs = new QuicLbCodec?[7];
    private readonly List<(byte[] Prefix, RouterBackend Backend)>[] _servers = new List<(byte[], RouterBackend)>[7];
    private readonly int[] _longestPrefix = new int[7];

    /// <summary>Adds a configuration (its config ID must be new).</summary>
    public void AddConfiguration(QuicLbConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (_codecs[configuration.ConfigId] is not null) throw new ArgumentException($"config ID {configuration.ConfigId} is given twice", nameof(configuration));
        _codecs[configuration.ConfigId] = new QuicLbCodec(configuration);
        _servers[configuration.ConfigId] = [];
    }

    /// <summary>Maps server ID (or host prefix) <paramref name="serverId"/> of configuration <paramref name="configId"/> to <paramref name="backend"/>.</summary>
    public void AddServer(int configId, ReadOnlySpan<byte> serverId, RouterBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var codec = configId is >= 0 and < 7 ? _codecs[configId] : null;
        if (codec is null) throw new ArgumentException($"no configuration with config ID {configId}", nameof(configId));
        if (serverId.IsEmpty || serverId.Length > codec.Configuration.ServerIdLength)
            throw new ArgumentException($"a server ID (or prefix) of configuration {configId} is 1 to {codec.Configuration.ServerIdLength} bytes", nameof(serverId));
        var list = _servers[configId];
        foreach (var (prefix, _) in list)
        {
            int common = Math.Min(prefix.Length, serverId.Length);
            if (prefix.AsSpan(0, common).SequenceEqual(serverId[..common]) && prefix.Length == serverId.Length)
                throw new ArgumentException($"server ID {Convert.ToHexString(serverId)} of configuration {configId} is given twice", nameof(serverId));
        }
        list.Add((serverId.ToArray(), backend));
        backend.RoutableByQuicLb = true;
        list.Sort((a, b) => b.Prefix.Length.CompareTo(a.Prefix.Length));
        _longestPrefix[configId] = Math.Max(_longestPrefix[configId], serverId.Length);
    }

    /// <summary>True when at least one configuration is known.</summary>
    public bool IsEmpty => Array.TrueForAll(_codecs, c => c is null);

    /// <summary>The configurations, by config ID.</summary>
    public IEnumerable<QuicLbConfiguration> Configurations => _codecs.Where(c => c is not null).Select(c => c!.Configuration);

    /// <summary>
    /// The backend whose server ID <paramref name="connectionId"/> carries: false when the ID is unroutable
    /// (§4.1: config rotation bits of no known configuration — 0b111 included —, too short, or a server ID no
    /// backend has). For a short header, pass the datagram from its second byte on: the configuration says how
    /// long the ID is.
    /// </summary>
    public bool TryRoute(ReadOnlySpan<byte> connectionId, out RouterBackend backend)
    {
        backend = null!;
        if (connectionId.IsEmpty) return false;
        int configId = connectionId[0] >> 5;
        if (configId == QuicLbConfiguration.UnroutableConfigId) return false;
        var codec = _codecs[configId];
        if (codec is null) return false;
        Span<byte> sid = stackalloc byte[_longestPrefix[configId]];
        if (sid.IsEmpty || !codec.TryDecodeServerId(connectionId, sid)) return false;
        foreach (var (prefix, b) in _servers[configId])
        {
            if (sid[..prefix.Length].SequenceEqual(prefix))
            {
                backend = b;
                return true;
            }
        }
        return false;
    }
}
