using System.Text;
using Pliant.Plugins.Trust;

namespace Pliant.Plugins.Tests.Exchange;

/// <summary>
/// A tiny test-side WebAssembly writer: a valid module with one exported function
/// <c>(func (param i64) (result i64) local.get 0)</c> per binding and a <c>pliant.manifest</c> section.
/// </summary>
internal static class TestModules
{
    /// <summary>A module binding <paramref name="bindings"/> (operation, anchor); <paramref name="padding"/> adds a filler custom section to reach a size.</summary>
    public static byte[] Build(string id, (string Operation, string Anchor)[] bindings, int padding = 0, string version = "1")
    {
        var exports = bindings.Select((b, i) => $"{{\"name\":\"f{i}\",\"operation\":\"{b.Operation}\",\"anchor\":\"{b.Anchor}\"}}");
        string manifest = $"{{\"id\":\"{id}\",\"version\":\"{version}\",\"exports\":[{string.Join(',', exports)}]}}";
        var m = new MemoryStream();
        m.Write([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
        int n = Math.Max(1, bindings.Length);
        Section(m, 1, [0x01, 0x60, 0x01, 0x7e, 0x01, 0x7e]);                        // type: (i64) -> i64
        var funcs = new List<byte> { (byte)n };
        for (int i = 0; i < n; i++) funcs.Add(0x00);
        Section(m, 3, funcs.ToArray());                                             // function
        var export = new List<byte> { (byte)n };
        for (int i = 0; i < n; i++)
        {
            byte[] name = Encoding.UTF8.GetBytes($"f{i}");
            export.Add((byte)name.Length);
            export.AddRange(name);
            export.Add(0x00);
            export.Add((byte)i);
        }
        Section(m, 7, export.ToArray());                                            // export
        var code = new List<byte> { (byte)n };
        for (int i = 0; i < n; i++) code.AddRange(new byte[] { 0x04, 0x00, 0x20, 0x00, 0x0b }); // size, no locals, local.get 0, end
        Section(m, 10, code.ToArray());                                             // code
        byte[] wasm = WasmSections.AppendCustomSection(m.ToArray(), WasmSections.ManifestSection, Encoding.UTF8.GetBytes(manifest));
        if (padding > 0) wasm = WasmSections.AppendCustomSection(wasm, "filler", DeterministicBytes(padding, id.GetHashCode(StringComparison.Ordinal)));
        return wasm;
    }

    /// <summary>An observer: allowed for a remote peer by the default policy.</summary>
    public static byte[] Observer(string id = "test.observer", int padding = 0) =>
        Build(id, [("packet.on_acked", "post"), ("rtt.update", "post"), ("conn.on_handshake_done", "post")], padding);

    /// <summary>Replaces the congestion controller's ACK handling: never allowed for a remote peer by default.</summary>
    public static byte[] CcReplacer(string id = "test.cc") => Build(id, [("cc.on_ack", "replace")]);

    public static byte[] DeterministicBytes(int count, int seed)
    {
        var b = new byte[count];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static void Section(MemoryStream m, byte id, byte[] contents)
    {
        m.WriteByte(id);
        WasmSections.WriteU32(m, (uint)contents.Length);
        m.Write(contents);
    }
}
