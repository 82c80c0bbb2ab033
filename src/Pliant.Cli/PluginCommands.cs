using System.CommandLine;
using System.Text;
using Pliant.Plugins;
using Pliant.Wasm;
using Pliant.Wasm.Decoding;

namespace Pliant.Cli;

/// <summary>The <c>pliant plugin</c> commands: <c>inspect</c> (manifest, imports, exports, validation), <c>operations</c> (the catalogue), plus sign/keygen/hash (<see cref="PluginSignCommand"/>).</summary>
internal static class PluginCommands
{
    public static Command Create()
    {
        var plugin = new Command("plugin", "Protocol plugins: inspect, operations, sign, keygen, hash.");
        plugin.Subcommands.Add(CreateInspect());
        plugin.Subcommands.Add(CreateOperations());
        foreach (var c in PluginSignCommand.CreateAll()) plugin.Subcommands.Add(c);
        return plugin;
    }

    private static Command CreateOperations()
    {
        var cmd = new Command("operations", "Print the protocol operations a plugin can bind (the catalogue: anchors, arguments, result bounds, what a peer's plugin may do), as the Markdown table of docs/plugin-abi.md.");
        cmd.SetAction(_ =>
        {
            Console.Write(Pliant.Quic.Operations.OperationCatalog.MarkdownTable());
            return 0;
        });
        return cmd;
    }

    private static Command CreateInspect()
    {
        var file = new Argument<string>("file") { Description = "plugin module (.wasm)" };
        var cmd = new Command("inspect", "Print a plugin's manifest, imports and exports, and whether it loads.");
        cmd.Arguments.Add(file);
        cmd.SetAction(pr => Inspect(pr.GetValue(file)!));
        return cmd;
    }

    private static int Inspect(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { Console.Error.WriteLine($"pliant: {e.Message}"); return 2; }
        Console.WriteLine($"file:     {path} ({bytes.Length} bytes)");
        Console.WriteLine($"sha256:   {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))}");
        WasmModule module;
        try { module = CompiledModule.DecodeAndValidate(bytes); }
        catch (WasmException e)
        {
            Console.WriteLine($"invalid:  not a valid WebAssembly module: {e.Message}");
            return 1;
        }
        var manifest = module.FindCustomSection(PluginManifest.SectionName);
        Console.WriteLine("manifest: " + (manifest is { } m ? Encoding.UTF8.GetString(m.Span) : "(no pliant.manifest section)"));
        Console.WriteLine("imports:");
        foreach (var imp in module.Imports)
            Console.WriteLine($"  {imp.Module}.{imp.Name} {(imp.Kind == ExternKind.Func ? module.Types[(int)imp.TypeIndex].ToString() : imp.Kind.ToString().ToLowerInvariant())}");
        Console.WriteLine("exports:");
        foreach (var e in module.Exports)
            Console.WriteLine($"  {e.Name} {(e.Kind == ExternKind.Func ? module.FunctionType((int)e.Index).ToString() : e.Kind.ToString().ToLowerInvariant())}");
        try
        {
            var p = PluginModule.Load(bytes);
            Console.WriteLine($"valid:    {p.Id}@{p.Version}: {p.Manifest.Bindings.Count} binding(s), {p.Manifest.Frames.Count} frame type(s), " +
                              $"{p.Manifest.TransportParameters.Count} transport parameter(s)");
            return 0;
        }
        catch (PluginLoadException e)
        {
            Console.WriteLine($"invalid:  {e.Message}");
            return 1;
        }
    }
}
