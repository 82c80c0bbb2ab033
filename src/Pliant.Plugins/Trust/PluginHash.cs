using System.Security.Cryptography;

namespace Pliant.Plugins.Trust;

/// <summary>
/// The identity of a plugin module: SHA-256 over the module with every <c>pliant.signature</c>
/// custom section removed, so signing a module (or adding a second signature) does not change its
/// hash. This is the hash in <c>id@sha256</c> references, the allow-list and PLUGIN frames.
/// </summary>
public static class PluginHash
{
    /// <summary>Length of the hash in bytes.</summary>
    public const int Length = 32;

    /// <summary>Computes the content hash; throws <see cref="FormatException"/> for a malformed module.</summary>
    public static byte[] Compute(ReadOnlySpan<byte> wasm)
    {
        bool signed = false;
        foreach (var s in WasmSections.Read(wasm))
            if (s.Id == 0 && s.Name == WasmSections.SignatureSection) { signed = true; break; }
        return signed
            ? SHA256.HashData(WasmSections.RemoveCustomSections(wasm, WasmSections.SignatureSection))
            : SHA256.HashData(wasm);
    }

    /// <summary>Lower-case hex of a hash.</summary>
    public static string ToHex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);

    /// <summary>Parses 64 hex digits; false otherwise.</summary>
    public static bool TryParseHex(string text, out byte[] hash)
    {
        hash = [];
        if (text.Length != 64) return false;
        try { hash = Convert.FromHexString(text); return true; }
        catch (FormatException) { return false; }
    }
}
