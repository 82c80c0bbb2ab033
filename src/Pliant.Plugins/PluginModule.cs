using System.Collections.Concurrent;
using System.Security.Cryptography;
using Pliant.Wasm;

namespace Pliant.Plugins;

/// <summary>
/// A validated, compiled plugin: one .wasm file with a <c>pliant.manifest</c> custom section.
/// Compiled once per process (cached by SHA-256 and limits, at most CacheCapacity modules); instantiate per connection with <see cref="PluginHost"/>.
/// </summary>
public sealed class PluginModule
{
    private static readonly ConcurrentDictionary<string, PluginModule> Cache = new(StringComparer.Ordinal);
    private static readonly ConcurrentQueue<string> CacheOrder = new();

    /// <summary>Compiled modules kept by the process-wide cache; the oldest are dropped beyond this (peers can send many).</summary>
    public const int CacheCapacity = 256;

    private PluginModule(byte[] bytes, byte[] sha, PluginManifest manifest, CompiledModule compiled, PluginLimits limits)
    {
        Bytes = bytes;
        Sha256 = sha;
        HashHex = Convert.ToHexStringLower(sha);
        Manifest = manifest;
        Compiled = compiled;
        Limits = limits;
    }

    /// <summary>Plugin identifier from the manifest.</summary>
    public string Id => Manifest.Id;

    /// <summary>Version from the manifest.</summary>
    public string Version => Manifest.Version;

    /// <summary>
    /// The plugin's identity hash: SHA-256 of the module without its <c>pliant.signature</c> sections
    /// (<see cref="Trust.PluginHash"/>), so signing does not change it; the hash of <c>id@sha256</c> references.
    /// </summary>
    public byte[] Sha256 { get; }

    /// <summary>SHA-256 in lowercase hex.</summary>
    public string HashHex { get; }

    /// <summary>The parsed manifest.</summary>
    public PluginManifest Manifest { get; }

    /// <summary>The module bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The limits instances run with.</summary>
    public PluginLimits Limits { get; }

    internal CompiledModule Compiled { get; }

    /// <summary>
    /// Validates the module, parses and checks its manifest, and compiles it to machine code (once per
    /// process for the same bytes and limits). Throws <see cref="PluginLoadException"/> with the reason
    /// when anything is wrong. It can take long for a large module (up to seconds at the caps of
    /// docs/plugin-abi.md "Limits"): call it off latency-critical threads, as the plugin exchange does.
    /// Thread-safe.
    /// </summary>
    public static PluginModule Load(ReadOnlySpan<byte> wasm, PluginLimits? limits = null)
    {
        limits ??= PluginLimits.Default;
        if (wasm.Length > limits.MaxModuleBytes) throw new PluginLoadException($"module is {wasm.Length} bytes, the cap is {limits.MaxModuleBytes}");
        // Keyed by the exact bytes (a signed and an unsigned copy keep their own Bytes), identified by the content hash.
        string key = Convert.ToHexStringLower(SHA256.HashData(wasm)) + "/" + limits.CacheKey;
        if (Cache.TryGetValue(key, out var cached)) return cached;
        byte[] sha = ContentHash(wasm);
        byte[] bytes = wasm.ToArray();
        var wasmLimits = limits.ToWasmLimits();
        Wasm.Decoding.WasmModule decoded;
        try { decoded = CompiledModule.DecodeAndValidate(bytes, wasmLimits); }
        catch (WasmException e) { throw new PluginLoadException($"invalid WebAssembly module: {e.Message}", e); }
        var section = decoded.FindCustomSection(PluginManifest.SectionName)
            ?? throw new PluginLoadException($"module has no \"{PluginManifest.SectionName}\" custom section");
        var manifest = ManifestParser.Parse(section.Span);
        ManifestValidator.Validate(manifest, decoded, limits);
        CompiledModule compiled;
        try
        {
            compiled = CompiledModule.Compile(decoded, wasmLimits);
            // Machine code now, on the loading thread: the first calls come from a connection's driver.
            compiled.PrepareAll();
        }
        catch (WasmException e) { throw new PluginLoadException($"module failed to compile: {e.Message}", e); }
        var module = new PluginModule(bytes, sha, manifest, compiled, limits);
        var cachedModule = Cache.GetOrAdd(key, module);
        if (ReferenceEquals(cachedModule, module))
        {
            CacheOrder.Enqueue(key);
            while (Cache.Count > CacheCapacity && CacheOrder.TryDequeue(out var oldest)) Cache.TryRemove(oldest, out _);
        }
        return cachedModule;
    }

    private static byte[] ContentHash(ReadOnlySpan<byte> wasm)
    {
        try { return Trust.PluginHash.Compute(wasm); }
        catch (FormatException) { return SHA256.HashData(wasm); } // malformed: validation reports it next
    }

    /// <summary>Reads and loads a .wasm file.</summary>
    public static PluginModule LoadFile(string path, PluginLimits? limits = null) => Load(File.ReadAllBytes(path), limits);

    /// <inheritdoc/>
    public override string ToString() => $"{Id}@{Version} ({HashHex[..16]})";
}
