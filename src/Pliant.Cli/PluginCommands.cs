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
        var plugin = new Command("plugin", "Protocol plugins: new, inspect, operations, sign, keygen, hash.");
        plugin.Subcommands.Add(CreateNew());
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

    private static Command CreateNew()
    {
        var name = new Argument<string>("name") { Description = "plugin id (lower case letters, digits, dashes): the file is NAME.c" };
        var operation = new Option<string[]>("--operation")
        {
            Description = "an operation to bind, OP or OP:ANCHOR (replace, pre, post; default: replace where offered, else post); repeatable. `pliant plugin operations` lists them",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string?>("--output", "-o") { Description = "where to write the C source (default: NAME.c in the current directory); an existing file is not overwritten" };
        var cmd = new Command("new", "Write a plugin skeleton in C: its manifest and one handler per operation, with the catalogue's meaning of every argument and the result's bound as comments. It compiles and loads as written (replacements return the native value).");
        cmd.Arguments.Add(name);
        cmd.Options.Add(operation);
        cmd.Options.Add(output);
        cmd.SetAction(pr => New(pr.GetValue(name)!, pr.GetValue(operation) ?? [], pr.GetValue(output)));
        return cmd;
    }

    private static int New(string name, string[] operations, string? output)
    {
        var bindings = new List<(string, Pliant.Quic.Operations.AnchorSet)>();
        foreach (var spec in operations)
        {
            int colon = spec.LastIndexOf(':');
            string op = colon < 0 ? spec : spec[..colon];
            Pliant.Quic.Operations.AnchorSet anchor;
            if (colon >= 0)
            {
                if (!Pliant.Plugins.Sdk.PluginSkeleton.TryParseAnchor(spec[(colon + 1)..], out anchor))
                {
                    Console.Error.WriteLine($"pliant plugin new: '{spec[(colon + 1)..]}' is not an anchor (replace, pre or post)");
                    return ExitCodes.Usage;
                }
            }
            else if (Pliant.Quic.Operations.OperationCatalog.TryGet(op, out var def)) anchor = Pliant.Plugins.Sdk.PluginSkeleton.DefaultAnchor(def);
            else anchor = Pliant.Quic.Operations.AnchorSet.Replace; // Write names the unknown operation
            bindings.Add((op, anchor));
        }
        string source;
        try
        {
            source = Pliant.Plugins.Sdk.PluginSkeleton.Write(name, bindings);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("pliant plugin new: " + e.Message.Split(" (Parameter", 2)[0]);
            return ExitCodes.Usage;
        }
        string path = output ?? name + ".c";
        try
        {
            using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            f.Write(Encoding.UTF8.GetBytes(source));
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"pliant plugin new: {e.Message}");
            return ExitCodes.Usage;
        }
        Console.WriteLine($"pliant plugin new: wrote {path} ({bindings.Count} binding(s)); build it with plugins/build.sh or the clang line at its top");
        return 0;
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
