using Pliant.Plugins.Tests.Support;

namespace Pliant.Plugins.Tests.Hostile;

/// <summary>
/// SIMD in plugins (docs/plugin-abi.md §1): v128 code runs inside a plugin, but v128 never crosses the ABI —
/// <see cref="PluginInstance.Call"/> refuses an export that takes or returns a v128 with an
/// <see cref="ArgumentException"/> (the plugin stays attached), and an out-of-bounds v128.load traps and
/// detaches only that plugin.
/// </summary>
public class SimdPluginTests
{
    /// <summary>
    /// Hand-assembled plugin with one page of memory and four exports: lane () -> i32 (v128.const
    /// i32x4 1 2 3 4, extract lane 2 = 3), takes (v128) -> (), gives () -> v128, oob () -> i32 (v128.load at
    /// 65530: 16 bytes past a 65536-byte memory).
    /// </summary>
    private static byte[] Module()
    {
        var o = new List<byte> { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
        Section(o, 1, [0x03, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x01, 0x7b, 0x00, 0x60, 0x00, 0x01, 0x7b]);
        Section(o, 3, [0x04, 0x00, 0x01, 0x02, 0x00]);
        Section(o, 5, [0x01, 0x00, 0x01]);
        var exports = new List<byte> { 0x04 };
        foreach (var (name, index) in new[] { ("lane", 0), ("takes", 1), ("gives", 2), ("oob", 3) })
        {
            exports.Add((byte)name.Length);
            exports.AddRange(System.Text.Encoding.ASCII.GetBytes(name));
            exports.Add(0x00);
            exports.Add((byte)index);
        }
        Section(o, 7, [.. exports]);
        byte[] lanes = [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0];
        var code = new List<byte> { 0x04 };
        Body(code, [0xFD, 0x0C, .. lanes, 0xFD, 0x1B, 0x02]);
        Body(code, []);
        Body(code, [0xFD, 0x0C, .. new byte[16]]);
        Body(code, [0x41, 0xFA, 0xFF, 0x03, 0xFD, 0x00, 0x04, 0x00, 0xFD, 0x1B, 0x00]);
        Section(o, 10, [.. code]);
        return WasmBytes.WithManifest([.. o], "{\"id\":\"simd-api\"}");
    }

    private static void Body(List<byte> code, byte[] instructions)
    {
        code.Add((byte)(instructions.Length + 2));
        code.Add(0x00); // no locals
        code.AddRange(instructions);
        code.Add(0x0B);
    }

    private static void Section(List<byte> o, byte id, byte[] content)
    {
        o.Add(id);
        o.Add((byte)content.Length);
        o.AddRange(content);
    }

    [Fact]
    public void V128RunsInsideButNeverCrossesTheAbi()
    {
        var s = new Scenario(1301);
        var plugin = new PluginHost().Attach(s.Client, PluginModule.Load(Module()), PluginOrigin.Peer);
        Assert.Equal(3UL, plugin.Call("lane"));
        Assert.Contains("non-integer parameter", Assert.Throws<ArgumentException>(() => plugin.Call("takes", 1)).Message);
        Assert.Contains("non-integer result", Assert.Throws<ArgumentException>(() => plugin.Call("gives")).Message);
        Assert.True(plugin.IsAttached);
        Assert.Equal(3UL, plugin.Call("lane"));

        Assert.Throws<InvalidOperationException>(() => plugin.Call("oob"));
        Assert.False(plugin.IsAttached);
        Assert.Contains("out of bounds", plugin.DetachReason);
        Assert.True(s.Client.IsConnected, "the connection outlives its plugin");
    }
}
