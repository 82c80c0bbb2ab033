using Pliant.Plugins.Trust;

namespace Pliant.Plugins.Exchange;

/// <summary>A plugin named by its manifest id and content hash (<see cref="PluginHash"/>): <c>id@sha256hex</c>.</summary>
public sealed record PluginReference(string Id, string Sha256Hex)
{
    /// <summary>The reference for a module (reads its manifest id and computes its content hash).</summary>
    public static PluginReference FromModule(ReadOnlySpan<byte> wasm) =>
        new(ManifestRequest.FromModule(wasm).Id, PluginHash.ToHex(PluginHash.Compute(wasm)));

    /// <summary>Parses <c>id@sha256hex</c>; false when malformed.</summary>
    public static bool TryParse(string text, out PluginReference? reference)
    {
        reference = null;
        int at = text.LastIndexOf('@');
        if (at <= 0 || at > 128) return false;
        string hash = text[(at + 1)..];
        if (!PluginHash.TryParseHex(hash, out _)) return false;
        string id = text[..at];
        if (id.Any(char.IsControl)) return false;
        reference = new PluginReference(id, hash.ToLowerInvariant());
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id}@{Sha256Hex}";
}
