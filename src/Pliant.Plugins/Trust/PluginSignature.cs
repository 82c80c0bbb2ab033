using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Pliant.Plugins.Trust;

/// <summary>
/// A detached ECDSA P-256 / SHA-256 signature over a module's content hash (<see cref="PluginHash"/>),
/// stored in a <c>pliant.signature</c> custom section as JSON
/// <c>{"key_id":"&lt;hex SHA-256 of the signer's SubjectPublicKeyInfo&gt;","signature":"&lt;base64 DER&gt;"}</c>.
/// A module may carry several (one per signer).
/// </summary>
public sealed record PluginSignature(string KeyId, byte[] Signature)
{
    /// <summary>The key id of a public key: lower-case hex SHA-256 of its DER SubjectPublicKeyInfo.</summary>
    public static string KeyIdOf(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    /// <summary>Serialises to the section payload.</summary>
    public byte[] ToJson() => Encoding.UTF8.GetBytes(
        $"{{\"key_id\":\"{KeyId}\",\"signature\":\"{Convert.ToBase64String(Signature)}\"}}");

    /// <summary>Parses a section payload; throws <see cref="FormatException"/> when malformed.</summary>
    public static PluginSignature Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            if (!System.Text.Unicode.Utf8.IsValid(json)) throw new FormatException("section is not UTF-8");
            using var doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("key_id", out var k) || k.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("signature", out var s) || s.ValueKind != JsonValueKind.String)
                throw new FormatException("signature section needs string \"key_id\" and \"signature\"");
            return new PluginSignature(k.GetString()!.ToLowerInvariant(), Convert.FromBase64String(s.GetString()!));
        }
        catch (JsonException e) { throw new FormatException($"signature section is not valid JSON: {e.Message}", e); }
    }

    /// <summary>Every signature a module carries; throws <see cref="FormatException"/> when one is malformed.</summary>
    public static List<PluginSignature> ReadAll(ReadOnlySpan<byte> wasm)
    {
        var result = new List<PluginSignature>();
        foreach (var payload in WasmSections.GetCustomSections(wasm, WasmSections.SignatureSection)) result.Add(Parse(payload));
        return result;
    }

    /// <summary>True when this signature over <paramref name="contentHash"/> verifies with <paramref name="key"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> contentHash, ECDsa key)
    {
        try { return key.VerifyData(contentHash, Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence); }
        catch (CryptographicException) { return false; }
    }
}

/// <summary>Signs plugin modules (see <see cref="PluginSignature"/>) and handles key files.</summary>
public static class PluginSigner
{
    /// <summary>
    /// Returns <paramref name="wasm"/> with a <c>pliant.signature</c> section by <paramref name="key"/>
    /// appended; an earlier signature by the same key is replaced, others are kept. The content hash
    /// (and so the plugin's <c>id@sha256</c>) does not change.
    /// </summary>
    public static byte[] Sign(byte[] wasm, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(wasm);
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize != 256) throw new ArgumentException("plugin signatures use ECDSA P-256", nameof(key));
        string keyId = PluginSignature.KeyIdOf(key);
        byte[] hash = PluginHash.Compute(wasm);
        var kept = new List<PluginSignature>();
        foreach (var sig in PluginSignature.ReadAll(wasm)) if (sig.KeyId != keyId) kept.Add(sig);
        byte[] output = WasmSections.RemoveCustomSections(wasm, WasmSections.SignatureSection);
        foreach (var sig in kept) output = WasmSections.AppendCustomSection(output, WasmSections.SignatureSection, sig.ToJson());
        var signature = new PluginSignature(keyId, key.SignData(hash, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        return WasmSections.AppendCustomSection(output, WasmSections.SignatureSection, signature.ToJson());
    }

    /// <summary>Creates a new P-256 key.</summary>
    public static ECDsa CreateKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>PEM (PKCS#8 "PRIVATE KEY") of a private key — the key file format of <c>pliant plugin sign</c>.</summary>
    public static string ExportPrivateKeyPem(ECDsa key) => key.ExportPkcs8PrivateKeyPem();

    /// <summary>PEM ("PUBLIC KEY", SubjectPublicKeyInfo) of the public half — what a verifier's <c>--trust</c> takes.</summary>
    public static string ExportPublicKeyPem(ECDsa key) => key.ExportSubjectPublicKeyInfoPem();

    /// <summary>Loads a private key from PEM (PKCS#8, or SEC1 "EC PRIVATE KEY").</summary>
    public static ECDsa ImportPrivateKeyPem(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        if (key.KeySize != 256) { key.Dispose(); throw new ArgumentException("plugin signatures use ECDSA P-256"); }
        return key;
    }
}
