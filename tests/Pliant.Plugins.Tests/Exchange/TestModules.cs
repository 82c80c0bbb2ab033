using System.Text;
using Pliant.Plugins.Trust;

namespace Pliant.Plugins.Tests.Exchange;

/// <summary>
/// A tiny test-side WebAssembly writer: a module the plugin host accepts — one memory, a mutable
/// i64 counter global, one <c>() -> ()</c> export per binding that increments the counter, an export
/// <c>count: () -> i64</c> that reads it — and a <c>pliant.manifest</c> section binding the exports.
/// </summary>
internal static class TestModules
{
    /// <summary>A module binding <paramref name="bindings"/> (operation, anchor); <paramref name="padding"/> adds a filler custom section to reach a size.</summary>
    public static byte[] Build(string id, (string Operation, string Anchor)[] bindings, int padding = 0, string version = "1")
    {
        var entries = bindings.Select((b, i) => $"{{\"operation\":\"{b.Operation}\",\"anchor\":\"{b.Anchor}\",\"export\":\"f{i}\"}}");
        string manifest = $"{{\"id\":\"{id}\",\"version\":\"{version}\",\"bindings\":[{string.Join(',', entries)}]}}";
        int n = bindings.Length;
        var m = new MemoryStream();
        m.Write([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
        Section(m, 1, [0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x01, 0x7e]);           // types: () -> (), () -> i64
        var funcs = new List<byte> { (byte)(n + 1) };
        for (int i = 0; i < n; i++) funcs.Add(0x00);
        funcs.Add(0x01);
        Section(m, 3, funcs.ToArray());                                             // functions
        Section(m, 5, [0x01, 0x00, 0x01]);                                          // memory: min 1 page
        Section(m, 6, [0x01, 0x7e, 0x01, 0x42, 0x00, 0x0b]);                        // global: mut i64 = 0
        var export = new List<byte> { (byte)(n + 1) };
        for (int i = 0; i <= n; i++)
        {
            byte[] name = Encoding.UTF8.GetBytes(i < n ? $"f{i}" : "count");
            export.Add((byte)name.Length);
            export.AddRange(name);
            export.Add(0x00);
            export.Add((byte)i);
        }
        Section(m, 7, export.ToArray());                                            // exports
        var code = new List<byte> { (byte)(n + 1) };
        for (int i = 0; i < n; i++) code.AddRange(new byte[] { 0x09, 0x00, 0x23, 0x00, 0x42, 0x01, 0x7c, 0x24, 0x00, 0x0b }); // g0 += 1
        code.AddRange(new byte[] { 0x04, 0x00, 0x23, 0x00, 0x0b });                  // return g0
        Section(m, 10, code.ToArray());                                             // code
        byte[] wasm = WasmSections.AppendCustomSection(m.ToArray(), WasmSections.ManifestSection, Encoding.UTF8.GetBytes(manifest));
        if (padding > 0) wasm = WasmSections.AppendCustomSection(wasm, "filler", DeterministicBytes(padding, id.Length));
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
