using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Pliant.Plugins;

/// <summary>Parses the manifest JSON. Reports the first problem as a <see cref="PluginLoadException"/>.</summary>
internal static class ManifestParser
{
    public static PluginManifest Parse(ReadOnlySpan<byte> utf8)
    {
        string json = Encoding.UTF8.GetString(utf8);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new PluginLoadException($"manifest is not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new PluginLoadException("manifest must be a JSON object");
            string id = RequiredString(root, "id", "manifest");
            string version = OptionalString(root, "version", "manifest") ?? "0";
            var bindings = new List<OperationBinding>();
            foreach (var b in Array(root, "bindings"))
                bindings.Add(new OperationBinding(RequiredString(b, "operation", "binding"), RequiredString(b, "anchor", "binding"), RequiredString(b, "export", "binding")));
            var frames = new List<FrameSpec>();
            foreach (var f in Array(root, "frames"))
                frames.Add(new FrameSpec(Number(f, "type", "frame"), RequiredString(f, "export_process", "frame"), OptionalString(f, "export_write", "frame"),
                    OptionalString(f, "export_on_acked", "frame"), OptionalString(f, "export_on_lost", "frame"),
                    !f.TryGetProperty("ack_eliciting", out var ae) || ae.ValueKind != JsonValueKind.False));
            var tps = new List<TransportParameterSpec>();
            foreach (var t in Array(root, "transport_parameters"))
                tps.Add(new TransportParameterSpec(Number(t, "id", "transport parameter"), OptionalString(t, "export_write", "transport parameter"), OptionalString(t, "export_process", "transport parameter")));
            uint pages = root.TryGetProperty("memory_pages", out var mp) ? (uint)Number(root, "memory_pages", "manifest") : 0;
            _ = mp;
            return new PluginManifest
            {
                Id = id,
                Version = version,
                Bindings = bindings,
                Frames = frames,
                TransportParameters = tps,
                MemoryPages = pages,
                Init = OptionalString(root, "init", "manifest"),
                OnTimer = OptionalString(root, "on_timer", "manifest"),
                Json = json,
            };
        }
    }

    private static JsonElement.ArrayEnumerator Array(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v)) return default;
        if (v.ValueKind != JsonValueKind.Array) throw new PluginLoadException($"manifest field \"{name}\" must be an array");
        foreach (var item in v.EnumerateArray())
            if (item.ValueKind != JsonValueKind.Object) throw new PluginLoadException($"every entry of \"{name}\" must be an object");
        return v.EnumerateArray();
    }

    private static string RequiredString(JsonElement e, string name, string what) =>
        OptionalString(e, name, what) ?? throw new PluginLoadException($"{what} field \"{name}\" is missing");

    private static string? OptionalString(JsonElement e, string name, string what)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw new PluginLoadException($"{what} field \"{name}\" must be a string");
        return v.GetString();
    }

    /// <summary>A number given as a JSON number or a string ("0x3f00" or decimal).</summary>
    private static ulong Number(JsonElement e, string name, string what)
    {
        if (!e.TryGetProperty(name, out var v)) throw new PluginLoadException($"{what} field \"{name}\" is missing");
        if (v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong n)) return n;
        if (v.ValueKind == JsonValueKind.String)
        {
            string s = v.GetString()!;
            bool ok = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ulong.TryParse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out n)
                : ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out n);
            if (ok) return n;
        }
        throw new PluginLoadException($"{what} field \"{name}\" must be a non-negative integer or a \"0x\" hex string");
    }
}
