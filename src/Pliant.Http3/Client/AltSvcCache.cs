using System.Globalization;

namespace Pliant.Http3.Client;

/// <summary>
/// HTTP/3 alternatives origins advertised with <c>Alt-Svc</c> (RFC 7838; RFC 9114 §3.1.1): per origin
/// (host and port of an https URL), the first <c>h3</c> alternative and until when it holds (<c>ma</c>, default
/// 24 h). <c>clear</c> forgets the origin. An alternative that failed is not used again until it is
/// advertised again. Bounds: at most <see cref="MaxOrigins"/> origins (the one expiring first is dropped),
/// header values parsed in linear time, at most 64 alternatives looked at per value. Thread-safe.
/// </summary>
internal sealed class AltSvcCache(TimeProvider time)
{
    public const int MaxOrigins = 1024;

    private const int MaxAlternatives = 64;

    private readonly object _gate = new();
    private readonly Dictionary<(string Host, int Port), Alternative> _entries = [];

    /// <summary>Where an origin's HTTP/3 service is: <paramref name="Host"/> empty means the origin's host.</summary>
    public readonly record struct Alternative(string Host, int Port, DateTimeOffset Expires);

    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>Takes the <c>Alt-Svc</c> field values of a response from <paramref name="origin"/>.</summary>
    public void Learn(Uri origin, IEnumerable<string> values)
    {
        var key = Key(origin);
        foreach (string value in values)
        {
            var parsed = Parse(value, time.GetUtcNow());
            lock (_gate)
            {
                if (parsed is null) continue;
                if (parsed.Value.Clear)
                {
                    _entries.Remove(key);
                    continue;
                }
                if (parsed.Value.H3 is not { } alt) continue;
                if (!_entries.ContainsKey(key) && _entries.Count >= MaxOrigins)
                    _entries.Remove(_entries.MinBy(e => e.Value.Expires).Key);
                _entries[key] = alt;
            }
        }
    }

    /// <summary>The HTTP/3 alternative of <paramref name="origin"/>, if one is known and fresh.</summary>
    public bool TryGet(Uri origin, out Alternative alternative)
    {
        var key = Key(origin);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out alternative))
            {
                if (alternative.Expires > time.GetUtcNow()) return true;
                _entries.Remove(key);
            }
            return false;
        }
    }

    /// <summary>The alternative did not work: use the origin itself until an <c>Alt-Svc</c> names it again.</summary>
    public void Forget(Uri origin)
    {
        lock (_gate) _entries.Remove(Key(origin));
    }

    private static (string Host, int Port) Key(Uri origin) => (origin.IdnHost.ToLowerInvariant(), origin.Port);

    /// <summary>
    /// One field value (RFC 7838 §3): <c>clear</c>, or comma-separated <c>protocol-id="[host]:port"</c> with
    /// parameters (<c>ma=seconds</c>). Returns null for a value that does not parse.
    /// </summary>
    internal static (bool Clear, Alternative? H3)? Parse(string value, DateTimeOffset now)
    {
        var s = value.AsSpan().Trim();
        if (s.Equals("clear", StringComparison.OrdinalIgnoreCase)) return (true, null);
        int seen = 0;
        while (!s.IsEmpty && seen++ < MaxAlternatives)
        {
            int comma = IndexOutsideQuotes(s, ',');
            var item = (comma < 0 ? s : s[..comma]).Trim();
            s = comma < 0 ? [] : s[(comma + 1)..];
            var parts = item;
            int semi = IndexOutsideQuotes(parts, ';');
            var alt = (semi < 0 ? parts : parts[..semi]).Trim();
            int eq = alt.IndexOf('=');
            if (eq <= 0) return null;
            var protocol = alt[..eq].Trim();
            var authority = alt[(eq + 1)..].Trim();
            if (authority.Length < 2 || authority[0] != '"' || authority[^1] != '"') return null;
            authority = authority[1..^1];
            // RFC 7838 §3: the protocol-id is percent-encoded ALPN; "h3" needs none.
            if (!protocol.SequenceEqual("h3")) continue;
            int colon = authority.LastIndexOf(':');
            if (colon < 0 || !int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is <= 0 or > 65535) return null;
            string host = authority[..colon].ToString();
            if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
            long maxAge = 86_400;
            var parameters = semi < 0 ? [] : parts[(semi + 1)..];
            foreach (var range in parameters.Split(';'))
            {
                var p = parameters[range].Trim();
                if (p.StartsWith("ma=", StringComparison.OrdinalIgnoreCase) &&
                    long.TryParse(p[3..].Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out long ma))
                    maxAge = Math.Min(ma, 365L * 86_400);
            }
            return (false, new Alternative(host, port, now.AddSeconds(maxAge)));
        }
        return (false, null);
    }

    private static int IndexOutsideQuotes(ReadOnlySpan<char> s, char c)
    {
        bool quoted = false;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '"') quoted = !quoted;
            else if (s[i] == '\\' && quoted) i++;
            else if (s[i] == c && !quoted) return i;
        }
        return -1;
    }
}
