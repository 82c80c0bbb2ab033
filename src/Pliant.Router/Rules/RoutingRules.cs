using Pliant.Router.FirstFlight;

namespace Pliant.Router.Rules;

/// <summary>Which kind of rule chose a backend for a new connection.</summary>
public enum RuleKind
{
    /// <summary>No rule (nothing matched, or every candidate was down).</summary>
    None,

    /// <summary>The server name matched exactly.</summary>
    ExactName,

    /// <summary>The server name matched a wildcard (the longest matching suffix).</summary>
    Wildcard,

    /// <summary>An offered ALPN protocol matched (the client's most preferred one that has a rule).</summary>
    Alpn,

    /// <summary>The default backend.</summary>
    Default,
}

/// <summary>
/// Picks the backend for a new connection from its ClientHello: an exact server name beats a wildcard
/// (<c>*.example</c> matches any name ending in <c>.example</c>, the longest such suffix wins), a name beats
/// an ALPN rule (tried in the client's order of preference), then the default. A rule may name several
/// backends (a pool): one is chosen by a hash of the client's first DCID among those up. When every backend
/// of the matching rule is down, the next matching rule is tried (a shorter wildcard, ALPN, the default). Built once, then read-only (thread-safe).
/// </summary>
public sealed class RoutingRules
{
    private readonly Dictionary<string, List<RouterBackend>> _exact = new(StringComparer.Ordinal);
    private readonly List<(string Suffix, List<RouterBackend> Pool)> _wildcards = [];
    private readonly Dictionary<string, List<RouterBackend>> _alpn = new(StringComparer.Ordinal);
    private readonly List<RouterBackend> _default = [];

    /// <summary>Adds <paramref name="backend"/> for a server name, or for a wildcard <c>*.suffix</c>.</summary>
    public void AddName(string pattern, RouterBackend backend)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        ArgumentNullException.ThrowIfNull(backend);
        var p = ClientHelloInfo.NormalizeName(pattern.Trim());
        if (p.StartsWith("*.", StringComparison.Ordinal))
        {
            var suffix = p[1..]; // ".example"
            if (suffix.Length < 2 || suffix.Contains('*', StringComparison.Ordinal)) throw new ArgumentException($"bad wildcard: {pattern}", nameof(pattern));
            int at = _wildcards.FindIndex(w => w.Suffix == suffix);
            if (at >= 0) _wildcards[at].Pool.Add(backend);
            else
            {
                _wildcards.Add((suffix, [backend]));
                _wildcards.Sort((a, b) => b.Suffix.Length.CompareTo(a.Suffix.Length)); // longest suffix first
            }
            return;
        }
        if (p.Contains('*', StringComparison.Ordinal)) throw new ArgumentException($"a wildcard is only allowed as the whole first label (*.example): {pattern}", nameof(pattern));
        Add(_exact, p, backend);
    }

    /// <summary>Adds <paramref name="backend"/> for clients offering ALPN <paramref name="protocol"/>.</summary>
    public void AddAlpn(string protocol, RouterBackend backend)
    {
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        ArgumentNullException.ThrowIfNull(backend);
        Add(_alpn, protocol, backend);
    }

    /// <summary>Adds a default backend (several form a pool).</summary>
    public void AddDefault(RouterBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _default.Add(backend);
    }

    /// <summary>True when no rule at all was added.</summary>
    public bool IsEmpty => _exact.Count == 0 && _wildcards.Count == 0 && _alpn.Count == 0 && _default.Count == 0;

    /// <summary>The default pool (also where unknown QUIC versions go).</summary>
    public IReadOnlyList<RouterBackend> Default => _default;

    /// <summary>Chooses a backend for <paramref name="hello"/>; null when nothing matches or every candidate is down.</summary>
    public RouterBackend? Select(ClientHelloInfo hello, uint hash, out RuleKind kind)
    {
        ArgumentNullException.ThrowIfNull(hello);
        if (hello.ServerName is { } name)
        {
            if (_exact.TryGetValue(name, out var pool) && Pick(pool, hash) is { } b)
            {
                kind = RuleKind.ExactName;
                return b;
            }
            foreach (var (suffix, wildcardPool) in _wildcards)
            {
                if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal))
                {
                    if (Pick(wildcardPool, hash) is { } w)
                    {
                        kind = RuleKind.Wildcard;
                        return w;
                    }
                    // Every backend of this wildcard is down: a shorter matching wildcard, then ALPN, may still serve it.
                }
            }
        }
        foreach (var protocol in hello.ApplicationProtocols)
        {
            if (_alpn.TryGetValue(protocol, out var pool) && Pick(pool, hash) is { } a)
            {
                kind = RuleKind.Alpn;
                return a;
            }
        }
        if (Pick(_default, hash) is { } d)
        {
            kind = RuleKind.Default;
            return d;
        }
        kind = RuleKind.None;
        return null;
    }

    /// <summary>A backend of <paramref name="pool"/> that is up, chosen by <paramref name="hash"/>; null if none is up.</summary>
    public static RouterBackend? Pick(IReadOnlyList<RouterBackend> pool, uint hash)
    {
        ArgumentNullException.ThrowIfNull(pool);
        int up = 0;
        foreach (var b in pool) if (b.Health == BackendHealth.Up) up++;
        if (up == 0) return null;
        int k = (int)(hash % (uint)up);
        foreach (var b in pool)
        {
            if (b.Health != BackendHealth.Up) continue;
            if (k-- == 0) return b;
        }
        return null;
    }

    private static void Add(Dictionary<string, List<RouterBackend>> map, string key, RouterBackend backend)
    {
        if (!map.TryGetValue(key, out var pool)) map[key] = pool = [];
        pool.Add(backend);
    }
}
