using System.Text.RegularExpressions;
using Pliant.Plugins.Abi;
using Pliant.Quic.Operations;
using Pliant.Wasm.Decoding;

namespace Pliant.Plugins;

/// <summary>Checks a manifest against its module and the host: exports, imports, operations, memory.</summary>
internal static partial class ManifestValidator
{
    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex IdPattern();

    public static void Validate(PluginManifest m, WasmModule module, PluginLimits limits)
    {
        if (!IdPattern().IsMatch(m.Id)) throw new PluginLoadException($"manifest id \"{m.Id}\" is invalid (1-64 of A-Z a-z 0-9 . _ -)");
        foreach (var imp in module.Imports)
        {
            if (imp.Module != AbiSignatures.ImportModule) throw new PluginLoadException($"import {imp.Module}.{imp.Name}: plugins may import only from \"pliant\"");
            if (imp.Kind != ExternKind.Func) throw new PluginLoadException($"import pliant.{imp.Name}: only functions can be imported");
            if (!AbiSignatures.Imports.TryGetValue(imp.Name, out var sig)) throw new PluginLoadException($"import pliant.{imp.Name} is not part of the plugin ABI");
            if (!sig.Equals(module.Types[(int)imp.TypeIndex])) throw new PluginLoadException($"import pliant.{imp.Name} has type {module.Types[(int)imp.TypeIndex]}, the ABI says {sig}");
        }
        if (module.TotalMemories != 1 || module.ImportedMemoryCount != 0) throw new PluginLoadException("a plugin must define exactly one linear memory");
        if (module.Memories[0].Min > limits.MaxMemoryPages) throw new PluginLoadException($"module memory starts at {module.Memories[0].Min} pages, the cap is {limits.MaxMemoryPages}");
        if (m.MemoryPages > limits.MaxMemoryPages) throw new PluginLoadException($"manifest asks for {m.MemoryPages} memory pages, the cap is {limits.MaxMemoryPages}");

        // Names and anchors come from the one operation catalogue (Pliant.Quic.Operations.OperationCatalog).
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in m.Bindings)
        {
            if (!OperationCatalog.TryGet(b.Operation, out var op)) throw new PluginLoadException($"binding names unknown operation \"{b.Operation}\"");
            if (!OperationDefinition.TryParseAnchor(b.Anchor, out var anchor)) throw new PluginLoadException($"binding of {b.Operation}: anchor \"{b.Anchor}\" is not replace, pre or post");
            if (!op.Supports(anchor)) throw new PluginLoadException($"operation {b.Operation} has no \"{b.Anchor}\" anchor");
            if (b.Anchor == "replace" && !replaced.Add(b.Operation)) throw new PluginLoadException($"operation {b.Operation} is replaced twice");
            Export(module, b.Export, AbiSignatures.Void, $"binding of {b.Operation}");
        }
        var types = new HashSet<ulong>();
        foreach (var f in m.Frames)
        {
            if (f.Type > (1UL << 62) - 1) throw new PluginLoadException($"frame type 0x{f.Type:x} is not a varint");
            if (!types.Add(f.Type)) throw new PluginLoadException($"frame type 0x{f.Type:x} is defined twice");
            Export(module, f.Process, AbiSignatures.LenToI32, $"frame 0x{f.Type:x} process");
            if (f.Write != null) Export(module, f.Write, AbiSignatures.FrameWrite, $"frame 0x{f.Type:x} write");
            if (f.OnAcked != null) Export(module, f.OnAcked, AbiSignatures.Token, $"frame 0x{f.Type:x} on_acked");
            if (f.OnLost != null) Export(module, f.OnLost, AbiSignatures.Token, $"frame 0x{f.Type:x} on_lost");
        }
        var ids = new HashSet<ulong>();
        foreach (var t in m.TransportParameters)
        {
            if (t.Id > (1UL << 62) - 1) throw new PluginLoadException($"transport parameter 0x{t.Id:x} is not a varint");
            if (!ids.Add(t.Id)) throw new PluginLoadException($"transport parameter 0x{t.Id:x} is defined twice");
            if (t.Write != null) Export(module, t.Write, AbiSignatures.LenToI32, $"transport parameter 0x{t.Id:x} write");
            if (t.Process != null) Export(module, t.Process, AbiSignatures.LenToI32, $"transport parameter 0x{t.Id:x} process");
        }
        if (m.Init != null) Export(module, m.Init, AbiSignatures.Void, "init");
        if (m.OnTimer != null) Export(module, m.OnTimer, AbiSignatures.Timer, "on_timer");
    }

    private static void Export(WasmModule module, string name, FuncType expected, string what)
    {
        foreach (var e in module.Exports)
        {
            if (e.Name != name) continue;
            if (e.Kind != ExternKind.Func) throw new PluginLoadException($"{what}: export \"{name}\" is not a function");
            var actual = module.FunctionType((int)e.Index);
            if (!actual.Equals(expected)) throw new PluginLoadException($"{what}: export \"{name}\" has type {actual}, expected {expected}");
            return;
        }
        throw new PluginLoadException($"{what}: the module does not export \"{name}\"");
    }
}
