using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Pliant.Router.QuicLb;

/// <summary>One server of a <see cref="QuicLbConfigFile"/>: a server ID (or host prefix) of a configuration, and where it listens.</summary>
public sealed record QuicLbServerEntry(int ConfigId, byte[] ServerId, IPEndPoint Address, bool ForwardingHeader);

/// <summary>
/// The QUIC-LB file shared by <c>pliant route --lb-config</c> and <c>pliant serve --lb-config</c>
/// (docs/routing.md, "The --lb-config file"), after the draft's YANG models (appendix A):
/// <code>
/// {
///   "configs": [ { "config_id": 0, "server_id_length": 3, "nonce_length": 6,
///                  "key": "8f95f09245765f80256934e50c66207f", "encode_length": true } ],
///   "servers": [ { "config_id": 0, "server_id": "0a0001", "address": "127.0.0.1:5001",
///                  "forwarding_header": true } ]
/// }
/// </code>
/// <c>key</c> (32 hex digits) is optional (plaintext without it); <c>encode_length</c> defaults to true;
/// <c>server_id</c> is hex, at most <c>server_id_length</c> bytes (shorter: a host prefix, <see cref="ServerIdLayout"/>);
/// <c>forwarding_header</c> (default false) says the server is a Pliant backend behind the router's header.
/// </summary>
public sealed class QuicLbConfigFile
{
    private QuicLbConfigFile(IReadOnlyList<QuicLbConfiguration> configurations, IReadOnlyList<QuicLbServerEntry> servers)
    {
        Configurations = configurations;
        Servers = servers;
    }

    /// <summary>The configurations, in file order.</summary>
    public IReadOnlyList<QuicLbConfiguration> Configurations { get; }

    /// <summary>The servers, in file order.</summary>
    public IReadOnlyList<QuicLbServerEntry> Servers { get; }

    /// <summary>Reads and validates <paramref name="path"/>; <see cref="FormatException"/> names the first problem.</summary>
    public static QuicLbConfigFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses the JSON text of the file (<paramref name="source"/> names it in errors).</summary>
    public static QuicLbConfigFile Parse(string json, string source = "lb-config")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 8 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Fail(source, "the file must hold one JSON object");
            OnlyKnown(root, source, "configs", "servers");
            var configs = new List<QuicLbConfiguration>();
            if (!root.TryGetProperty("configs", out var cs) || cs.ValueKind != JsonValueKind.Array || cs.GetArrayLength() == 0)
                throw Fail(source, "\"configs\" must be a non-empty array");
            int i = 0;
            foreach (var c in cs.EnumerateArray())
            {
                string where = $"configs[{i++}]";
                if (c.ValueKind != JsonValueKind.Object) throw Fail(source, $"{where} must be an object");
                OnlyKnown(c, source, "config_id", "server_id_length", "nonce_length", "key", "encode_length");
                int id = Int(c, "config_id", source, where);
                if (configs.Exists(x => x.ConfigId == id)) throw Fail(source, $"{where}: config_id {id} is given twice");
                byte[]? key = c.TryGetProperty("key", out var k) && k.ValueKind != JsonValueKind.Null ? Hex(k, source, where + ".key") : null;
                bool encode = !c.TryGetProperty("encode_length", out var e) || e.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw Fail(source, $"{where}.encode_length must be true or false"),
                };
                try
                {
                    configs.Add(new QuicLbConfiguration(id, Int(c, "server_id_length", source, where), Int(c, "nonce_length", source, where), key, encode));
                }
                catch (ArgumentException ex)
                {
                    throw Fail(source, $"{where}: {ex.Message.Split(" (Parameter", 2)[0]}");
                }
            }
            var servers = new List<QuicLbServerEntry>();
            if (root.TryGetProperty("servers", out var ss))
            {
                if (ss.ValueKind != JsonValueKind.Array) throw Fail(source, "\"servers\" must be an array");
                i = 0;
                foreach (var s in ss.EnumerateArray())
                {
                    string where = $"servers[{i++}]";
                    if (s.ValueKind != JsonValueKind.Object) throw Fail(source, $"{where} must be an object");
                    OnlyKnown(s, source, "config_id", "server_id", "address", "forwarding_header");
                    int id = Int(s, "config_id", source, where);
                    var config = configs.Find(x => x.ConfigId == id) ?? throw Fail(source, $"{where}: no config with config_id {id}");
                    if (!s.TryGetProperty("server_id", out var sidElement)) throw Fail(source, $"{where}: \"server_id\" is missing");
                    var sid = Hex(sidElement, source, where + ".server_id");
                    if (sid.Length == 0 || sid.Length > config.ServerIdLength)
                        throw Fail(source, $"{where}.server_id must be 1 to {config.ServerIdLength} bytes");
                    if (servers.Exists(x => x.ConfigId == id && x.ServerId.AsSpan().SequenceEqual(sid)))
                        throw Fail(source, $"{where}: server_id {Convert.ToHexString(sid).ToLowerInvariant()} is given twice");
                    if (!s.TryGetProperty("address", out var a) || a.ValueKind != JsonValueKind.String || !IPEndPoint.TryParse(a.GetString()!, out var address) || address.Port == 0)
                        throw Fail(source, $"{where}.address must be \"HOST:PORT\" with an IP address");
                    bool header = s.TryGetProperty("forwarding_header", out var h) && h.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw Fail(source, $"{where}.forwarding_header must be true or false"),
                    };
                    servers.Add(new QuicLbServerEntry(id, sid, address, header));
                }
            }
            return new QuicLbConfigFile(configs, servers);
        }
        catch (JsonException e)
        {
            throw Fail(source, "not valid JSON: " + e.Message);
        }
    }

    /// <summary>The configuration with <paramref name="configId"/>, or the only one when <paramref name="configId"/> is null.</summary>
    public QuicLbConfiguration Select(int? configId)
    {
        if (configId is { } id) return Configurations.FirstOrDefault(c => c.ConfigId == id) ?? throw new FormatException($"no config with config_id {id}");
        if (Configurations.Count == 1) return Configurations[0];
        throw new FormatException("the file has several configs: say which one (config ID)");
    }

    private static FormatException Fail(string source, string message) => new($"{source}: {message}");

    private static void OnlyKnown(JsonElement o, string source, params string[] names)
    {
        foreach (var p in o.EnumerateObject())
            if (Array.IndexOf(names, p.Name) < 0) throw Fail(source, $"unknown field \"{p.Name}\" (known: {string.Join(", ", names)})");
    }

    private static int Int(JsonElement o, string name, string source, string where)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n))
            throw Fail(source, $"{where}.{name} must be an integer");
        return n;
    }

    private static byte[] Hex(JsonElement v, string source, string where)
    {
        if (v.ValueKind != JsonValueKind.String) throw Fail(source, $"{where} must be a hex string");
        var s = v.GetString()!.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        try
        {
            return Convert.FromHexString(s);
        }
        catch (FormatException)
        {
            throw Fail(source, $"{where} must be a hex string, not \"{v.GetString()}\"");
        }
    }

    /// <summary>Hex of <paramref name="bytes"/>, lower case (for messages and logs).</summary>
    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLower(CultureInfo.InvariantCulture);
}
