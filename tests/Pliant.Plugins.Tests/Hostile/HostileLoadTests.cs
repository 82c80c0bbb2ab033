using Pliant.Plugins.Tests.Support;

namespace Pliant.Plugins.Tests.Hostile;

public class HostileLoadTests
{
    [Fact]
    public void InvalidModuleIsRejected()
    {
        var garbage = new byte[] { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0xff, 0x01 };
        var e = Assert.Throws<PluginLoadException>(() => PluginModule.Load(garbage));
        Assert.StartsWith("invalid WebAssembly module", e.Message, StringComparison.Ordinal);
        var truncated = PluginFiles.Bytes("monitoring")[..100];
        Assert.Throws<PluginLoadException>(() => PluginModule.Load(truncated));
        Assert.Throws<PluginLoadException>(() => PluginModule.Load("not wasm"u8));
    }

    [Fact]
    public void ManifestNamingAMissingExportIsRejected()
    {
        var e = Assert.Throws<PluginLoadException>(() => PluginFiles.Load("missing-export"));
        Assert.Equal("binding of packet.after_send: the module does not export \"on_sent_typo\"", e.Message);
    }

    [Theory]
    [InlineData("{\"version\":\"1\"}", "manifest field \"id\" is missing")]
    [InlineData("{\"id\":\"m\",\"bindings\":[{\"operation\":\"cc.nope\",\"anchor\":\"post\",\"export\":\"on_sent\"}]}", "binding names unknown operation \"cc.nope\"")]
    [InlineData("{\"id\":\"m\",\"bindings\":[{\"operation\":\"packet.after_send\",\"anchor\":\"around\",\"export\":\"on_sent\"}]}", "anchor \"around\" is not replace, pre or post")]
    [InlineData("{\"id\":\"m\",\"bindings\":[{\"operation\":\"packet.after_send\",\"anchor\":\"replace\",\"export\":\"on_sent\"}]}", "operation packet.after_send has no \"replace\" anchor")]
    [InlineData("{\"id\":\"m\",\"bindings\":[{\"operation\":\"recovery.pto\",\"anchor\":\"replace\",\"export\":\"get\"}]}", "export \"get\" has type")]
    [InlineData("{\"id\":\"m\",\"memory_pages\":1000}", "manifest asks for 1000 memory pages, the cap is 16")]
    [InlineData("{\"id\":\"bad id!\"}", "manifest id \"bad id!\" is invalid")]
    [InlineData("not json", "manifest is not valid JSON")]
    public void BadManifestsAreRejectedWithAReason(string json, string reason)
    {
        var bytes = WasmBytes.WithManifest(PluginFiles.Bytes("monitoring"), json);
        var e = Assert.Throws<PluginLoadException>(() => PluginModule.Load(bytes));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModuleWithoutManifestIsRejected()
    {
        var e = Assert.Throws<PluginLoadException>(() => PluginModule.Load("\0asm\u0001\0\0\0"u8));
        Assert.Contains("pliant.manifest", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100_000, 0u, "invalid WebAssembly module: module exceeds the engine's cap of 10000 functions")]
    [InlineData(1, 50_000u, "invalid WebAssembly module: too many locals")]
    [InlineData(1000, 4000u, "invalid WebAssembly module: module exceeds the engine's cap of 131072 locals (summed over functions)")]
    public void HostileShapesAreRefusedBeforeAnythingIsBuiltForThem(int functions, uint localsEach, string reason)
    {
        // 100 000 functions, or locals announced by the million in a few bytes: refused while decoding,
        // before the engine allocates for them (and long before compiling).
        var wasm = WasmBytes.Functions(functions, localsEach);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<PluginLoadException>(() => PluginModule.Load(wasm));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(reason, e.Message);
        Assert.True(allocated < 2L * wasm.Length + (256 << 10), $"{allocated} bytes allocated for a {wasm.Length}-byte module");
    }

    [Fact]
    public void OversizedModuleIsRejected()
    {
        var e = Assert.Throws<PluginLoadException>(() => PluginModule.Load(new byte[2 << 20]));
        Assert.Contains("the cap is", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AttachingTheSameIdTwiceOrATakenReplaceFails()
    {
        var s = new Scenario(801);
        var host = new PluginHost();
        host.Attach(s.Client, PluginFiles.Load("tlp"), PluginOrigin.Application);
        Assert.Throws<PluginLoadException>(() => host.Attach(s.Client, PluginFiles.Load("tlp"), PluginOrigin.Application));
        var other = WasmBytes.WithManifest(PluginFiles.Bytes("tlp"), "{\"id\":\"tlp2\",\"bindings\":[{\"operation\":\"recovery.pto\",\"anchor\":\"replace\",\"export\":\"pto\"}]}");
        var e = Assert.Throws<PluginLoadException>(() => host.Attach(s.Client, PluginModule.Load(other), PluginOrigin.Application));
        Assert.Contains("already replaced", e.Message, StringComparison.Ordinal);
        Assert.Single(host.AttachedTo(s.Client));
    }
}
