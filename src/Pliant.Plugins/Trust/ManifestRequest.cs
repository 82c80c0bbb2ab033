using System.Text.Json;

namespace Pliant.Plugins.Trust;

/// <summary>One operation a plugin asks to bind: an operation name and an anchor (<c>pre</c>, <c>post</c>, <c>replace</c>).</summary>
public readonly record struct OperationRequest(string Operation, string Anchor)
{
    /// <inheritdoc />
    public override string ToString() => $"{Operation}:{Anchor}";
}

/// <summary>
/// What a plugin's <c>pliant.manifest</c> asks for, as far as trust is concerned: its id and version,
/// the operations it binds, and the frame types and transport parameters it defines. Parsed
/// leniently from the manifest JSON (DESIGN §4): bindings are read from <c>exports</c>,
/// <c>bindings</c>, <c>operations</c> or <c>hooks</c>, each an object with <c>operation</c> and
/// <c>anchor</c> (an absent anchor counts as <c>replace</c>, the most powerful one).
/// </summary>
public sealed class ManifestRequest
{
    /// <summary>Plugin id (<c>id</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Plugin version (<c>version</c>), if given.</summary>
    public string? Version { get; init; }

    /// <summary>Operations the plugin binds.</summary>
    public IReadOnlyList<OperationRequest> Operations { get; init; } = [];

    /// <summary>Frame types the plugin defines (reachable as <c>frame.*[type]</c> operations).</summary>
    public IReadOnlyList<ulong> FrameTypes { get; init; } = [];

    /// <summary>Transport parameter ids the plugin defines (<c>tp.*[id]</c>).</summary>
    public IReadOnlyList<ulong> TransportParameters { get; init; } = [];

    private static readonly string[] BindingKeys = ["exports", "bindings", "operations", "hooks"];

    /// <summary>Reads the manifest section of <paramref name="wasm"/>; throws <see cref="FormatException"/> if absent or malformed.</summary>
    public static ManifestRequest FromModule(ReadOnlySpan<byte> wasm)
    {
        var sections = WasmSections.GetCustomSections(wasm, WasmSections.ManifestSection);
        if (sections.Count == 0) throw new FormatException("the module has no pliant.manifest section");
        if (sections.Count > 1) throw new FormatException("the module has more than one pliant.manifest section");
        return Parse(sections[0]);
    }

    /// <summary>Parses manifest JSON; throws <see cref="FormatException"/> when malformed.</summary>
    public static ManifestRequest Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            if (!System.Text.Unicode.Utf8.IsValid(json)) throw new FormatException("section is not UTF-8");
            using var doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("manifest is not a JSON object");
            string id = root.TryGetProperty("id", out var idEl) && idEl.ValueKind == JsonValueKind.String
                ? idEl.GetString()! : throw new FormatException("manifest has no string \"id\"");
            if (id.Length == 0 || id.Length > 128 || id.Contains('@') || id.Any(char.IsControl))
                throw new FormatException("manifest \"id\" must be 1-128 printable characters without '@'");
            string? version = root.TryGetProperty("version", out var v) ? v.ToString() : null;
            var ops = new List<OperationRequest>();
            foreach (var key in BindingKeys)
            {
                if (!root.TryGetProperty(key, out var arr) || arr.ValueKind != JsonValueKind.Array) continue;
                foreach (var b in arr.EnumerateArray())
                {
                    if (b.ValueKind != JsonValueKind.Object || !b.TryGetProperty("operation", out var op) || op.ValueKind != JsonValueKind.String)
                        continue; // entries that bind no operation (plain exports) ask for nothing
                    string anchor = b.TryGetProperty("anchor", out var a) && a.ValueKind == JsonValueKind.String
                        ? a.GetString()!.ToLowerInvariant() : "replace";
                    ops.Add(new OperationRequest(op.GetString()!, anchor));
                }
            }
            return new ManifestRequest
            {
                Id = id,
                Version = version,
                Operations = ops,
                FrameTypes = ReadIds(root, "frames", "frame_types"),
                TransportParameters = ReadIds(root, "transport_parameters", "tps"),
            };
        }
        catch (JsonException e)
        {
            throw new FormatException($"manifest is not valid JSON: {e.Message}", e);
        }
    }

    private static List<ulong> ReadIds(JsonElement root, params string[] keys)
    {
        var result = new List<ulong>();
        foreach (var key in keys)
        {
            if (!root.TryGetProperty(key, out var arr) || arr.ValueKind != JsonValueKind.Array) continue;
            foreach (var e in arr.EnumerateArray())
            {
                var el = e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) ? t
                    : e.ValueKind == JsonValueKind.Object && e.TryGetProperty("id", out var i) ? i : e;
                if (el.ValueKind == JsonValueKind.Number && el.TryGetUInt64(out var n)) result.Add(n);
                else if (el.ValueKind == JsonValueKind.String && TryParseId(el.GetString()!, out n)) result.Add(n);
            }
        }
        return result;
    }

    private static bool TryParseId(string s, out ulong value) =>
        s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(s.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out value)
            : ulong.TryParse(s, out value);
}
