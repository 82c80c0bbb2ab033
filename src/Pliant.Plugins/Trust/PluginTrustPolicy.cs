using System.Security.Cryptography;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Trust;

/// <summary>What a policy does with modules of one origin.</summary>
public enum OriginRule
{
    /// <summary>Run it without checks (the application vouches for its own files).</summary>
    Allow,
    /// <summary>Run it only when its hash is allow-listed or it is signed by a trusted key, and it asks only for allowed operations.</summary>
    RequireTrust,
    /// <summary>Never run it.</summary>
    Deny,
}

/// <summary>The outcome of <see cref="PluginTrustPolicy.Evaluate(ReadOnlySpan{byte}, PluginOrigin)"/>.</summary>
/// <param name="Allowed">True when the module may run.</param>
/// <param name="Reason">Why: which rule allowed it, or the first reason it was refused.</param>
/// <param name="PluginId">The manifest id, when the manifest could be read.</param>
/// <param name="Hash">Lower-case hex content hash, when the module could be read.</param>
public readonly record struct TrustDecision(bool Allowed, string Reason, string? PluginId = null, string? Hash = null)
{
    internal static TrustDecision Deny(string reason, string? id = null, string? hash = null) => new(false, reason, id, hash);
}

/// <summary>
/// Decides which plugin modules may run on a connection (DESIGN §4 "Exchange"): a module pushed by
/// the peer runs only if its content hash is on <see cref="AllowedHashes"/> or it carries a valid
/// signature by one of <see cref="TrustedKeys"/>, and every operation its manifest binds matches
/// <see cref="AllowedRemoteOperations"/> — so a peer can observe and cap, but not, say, switch off
/// our congestion control. Modules the application attaches itself are governed by <see cref="LocalRule"/>.
/// Not thread-safe to mutate; evaluate from any thread once configured.
/// </summary>
public sealed class PluginTrustPolicy
{
    /// <summary>
    /// Operations a remote peer may touch by default, as <c>operation:anchor</c> patterns, from the operation
    /// catalogue (<see cref="OperationCatalog.DefaultRemotePatterns"/>): the post anchor of every observer
    /// (<c>packet.*</c>, <c>ack.*</c>, <c>transmit.*</c>, <c>receive.*</c>, <c>rtt.update</c>, <c>conn.*</c>), the
    /// <c>cc.window</c> and <c>cc.pacing_rate</c> caps, and the frames, transport parameters and timers a
    /// plugin defines itself. Not <c>cc.on_*</c> and not <c>recovery.pto</c>.
    /// </summary>
    public static IReadOnlyList<string> DefaultRemoteOperations { get; } = OperationCatalog.DefaultRemotePatterns();

    /// <summary>Largest module a peer may push (1 MiB).</summary>
    public const int DefaultMaxModuleSize = 1 << 20;

    /// <summary>Content hashes (<see cref="PluginHash"/>, lower-case hex) that are trusted whoever signed them.</summary>
    public HashSet<string> AllowedHashes { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Trusted signing keys by key id (hex SHA-256 of the SubjectPublicKeyInfo).</summary>
    public Dictionary<string, ECDsa> TrustedKeys { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary><c>operation:anchor</c> patterns a peer's module may bind; <c>*</c> matches any anchor, a trailing <c>.*</c> any suffix, <c>*</c> alone anything.</summary>
    public HashSet<string> AllowedRemoteOperations { get; } = new(DefaultRemoteOperations, StringComparer.Ordinal);

    /// <summary>Rule for modules the application or host attaches (default <see cref="OriginRule.Allow"/>).</summary>
    public OriginRule LocalRule { get; set; } = OriginRule.Allow;

    /// <summary>Rule for modules the peer pushes (default <see cref="OriginRule.RequireTrust"/>).</summary>
    public OriginRule PeerRule { get; set; } = OriginRule.RequireTrust;

    /// <summary>Largest module accepted from a peer, in bytes.</summary>
    public int MaxModuleSize { get; set; } = DefaultMaxModuleSize;

    /// <summary>A policy that refuses every pushed module (the default when none is configured).</summary>
    public static PluginTrustPolicy DenyRemote() => new() { PeerRule = OriginRule.Deny };

    /// <summary>Allow-lists a content hash (64 hex digits).</summary>
    public PluginTrustPolicy AllowHash(string sha256Hex)
    {
        if (!PluginHash.TryParseHex(sha256Hex, out _)) throw new ArgumentException("a SHA-256 hash is 64 hex digits", nameof(sha256Hex));
        AllowedHashes.Add(sha256Hex.ToLowerInvariant());
        return this;
    }

    /// <summary>Allow-lists the content hash of a module.</summary>
    public PluginTrustPolicy AllowModule(ReadOnlySpan<byte> wasm)
    {
        AllowedHashes.Add(PluginHash.ToHex(PluginHash.Compute(wasm)));
        return this;
    }

    /// <summary>Trusts signatures by a P-256 public key.</summary>
    public PluginTrustPolicy TrustKey(ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (publicKey.KeySize != 256) throw new ArgumentException("plugin signatures use ECDSA P-256", nameof(publicKey));
        TrustedKeys[PluginSignature.KeyIdOf(publicKey)] = publicKey;
        return this;
    }

    /// <summary>Trusts a key given as PEM (<c>PUBLIC KEY</c>, or a private key whose public half is used) or raw DER SubjectPublicKeyInfo.</summary>
    public PluginTrustPolicy TrustKey(ReadOnlySpan<byte> pemOrSpki)
    {
        var key = ECDsa.Create();
        try
        {
            string text = System.Text.Encoding.ASCII.GetString(pemOrSpki);
            if (text.Contains("-----BEGIN", StringComparison.Ordinal)) key.ImportFromPem(text);
            else key.ImportSubjectPublicKeyInfo(pemOrSpki, out _);
            // Keep only the public half.
            var pub = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));
            return TrustKey(pub);
        }
        catch (CryptographicException e) { throw new ArgumentException($"not an ECDSA P-256 public key: {e.Message}", nameof(pemOrSpki), e); }
        finally { key.Dispose(); }
    }

    /// <summary>Also lets a peer's module bind <paramref name="operation"/> at <paramref name="anchor"/> (e.g. <c>cc.on_ack</c>, <c>replace</c>).</summary>
    public PluginTrustPolicy AllowRemoteOperation(string operation, string anchor = "*")
    {
        AllowedRemoteOperations.Add($"{operation}:{anchor}");
        return this;
    }

    private static bool IsPluginDefinedPattern(string pattern)
    {
        foreach (var p in OperationCatalog.PluginDefinedPatterns)
            if (p == pattern) return true;
        return false;
    }

    /// <summary>True when a peer's module may bind <paramref name="request"/>.</summary>
    public bool IsRemoteOperationAllowed(OperationRequest request)
    {
        foreach (var pattern in AllowedRemoteOperations)
        {
            int colon = pattern.LastIndexOf(':');
            string op = colon < 0 ? pattern : pattern[..colon];
            string anchor = colon < 0 ? "*" : pattern[(colon + 1)..];
            if (anchor != "*" && !string.Equals(anchor, request.Anchor, StringComparison.OrdinalIgnoreCase)) continue;
            if (op == "*" || op == request.Operation) return true;
            // A wildcard names a namespace; the namespaces of what a plugin defines itself (frame.*, tp.*) never cover
            // the catalogue's own operations there (frame.on_received.* observers are granted by their remote column).
            if (op.EndsWith(".*", StringComparison.Ordinal) && request.Operation.StartsWith(op[..^1], StringComparison.Ordinal) &&
                !(IsPluginDefinedPattern(pattern) && OperationCatalog.TryGet(request.Operation, out _))) return true;
            // frame.write[0x..] and friends: the name before the '[' is what patterns name.
            int bracket = request.Operation.IndexOf('[', StringComparison.Ordinal);
            if (bracket > 0 && op == request.Operation[..bracket]) return true;
        }
        return false;
    }

    /// <summary>Evaluates a module (bytes as received, signature sections included).</summary>
    public TrustDecision Evaluate(ReadOnlySpan<byte> wasm, PluginOrigin origin)
    {
        var rule = origin == PluginOrigin.Peer ? PeerRule : LocalRule;
        if (rule == OriginRule.Deny) return TrustDecision.Deny($"{Describe(origin)} plugins are not accepted");
        if (origin == PluginOrigin.Peer && wasm.Length > MaxModuleSize)
            return TrustDecision.Deny($"module of {wasm.Length} bytes exceeds the {MaxModuleSize}-byte limit");
        byte[] hash;
        ManifestRequest manifest;
        List<PluginSignature> signatures;
        try
        {
            hash = PluginHash.Compute(wasm);
            manifest = ManifestRequest.FromModule(wasm);
            signatures = PluginSignature.ReadAll(wasm);
        }
        catch (FormatException e) { return TrustDecision.Deny($"malformed module: {e.Message}"); }
        return Evaluate(hash, manifest, signatures, origin);
    }

    /// <summary>
    /// Evaluates a loaded module. Prefer the byte overload for peer-pushed modules: it decides before
    /// anything is compiled.
    /// </summary>
    public TrustDecision Evaluate(PluginModule module, PluginOrigin origin)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Evaluate(module.Bytes.Span, origin);
    }

    /// <summary>Evaluates a module already taken apart: its content hash, manifest and signatures.</summary>
    public TrustDecision Evaluate(ReadOnlySpan<byte> contentHash, ManifestRequest manifest, IReadOnlyList<PluginSignature> signatures, PluginOrigin origin)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(signatures);
        string hex = PluginHash.ToHex(contentHash);
        var rule = origin == PluginOrigin.Peer ? PeerRule : LocalRule;
        if (rule == OriginRule.Deny) return TrustDecision.Deny($"{Describe(origin)} plugins are not accepted", manifest.Id, hex);
        if (rule == OriginRule.Allow) return new TrustDecision(true, $"{Describe(origin)} plugins are allowed", manifest.Id, hex);

        string? trustedBy = null;
        if (AllowedHashes.Contains(hex)) trustedBy = "hash allow-listed";
        else
        {
            bool anySignature = false;
            foreach (var sig in signatures)
            {
                anySignature = true;
                if (TrustedKeys.TryGetValue(sig.KeyId, out var key) && sig.Verify(contentHash, key))
                {
                    trustedBy = $"signed by trusted key {sig.KeyId[..16]}";
                    break;
                }
            }
            if (trustedBy is null)
            {
                string why = !anySignature ? "hash not allow-listed and module not signed"
                    : "hash not allow-listed and no valid signature by a trusted key";
                return TrustDecision.Deny(why, manifest.Id, hex);
            }
        }

        if (origin == PluginOrigin.Peer)
            foreach (var op in manifest.Operations)
                if (!IsRemoteOperationAllowed(op))
                    return TrustDecision.Deny($"operation {op} is not allowed for a remote peer", manifest.Id, hex);
        return new TrustDecision(true, trustedBy, manifest.Id, hex);
    }

    private static string Describe(PluginOrigin o) => o == PluginOrigin.Peer ? "peer-pushed" : "local";
}
