using System.CommandLine;
using System.Security.Cryptography;
using Pliant.Plugins.Exchange;
using Pliant.Plugins.Trust;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant plugin sign FILE --key KEY [-o OUT]</c> (adds a <c>pliant.signature</c> section; the
/// plugin's <c>id@sha256</c> is unchanged), <c>pliant plugin keygen --out KEY</c> (a P-256 key as
/// PKCS#8 PEM, and the public key next to it as KEY.pub for <c>--trust</c>), and
/// <c>pliant plugin hash FILE</c> (prints <c>id@sha256</c> and who signed it).
/// </summary>
internal static class PluginSignCommand
{
    /// <summary>The subcommands, to add under <c>pliant plugin</c>.</summary>
    public static IEnumerable<Command> CreateAll() => [CreateSign(), CreateKeygen(), CreateHash()];

    /// <summary>A <c>plugin</c> command holding only these subcommands (when nothing else registers <c>pliant plugin</c>).</summary>
    public static Command CreatePluginCommand()
    {
        var plugin = new Command("plugin", "Protocol plugins: sign, keygen, hash.");
        foreach (var c in CreateAll()) plugin.Subcommands.Add(c);
        return plugin;
    }

    private static Command CreateSign()
    {
        var file = new Argument<string>("FILE") { Description = "Plugin module (.wasm)" };
        var key = new Option<string>("--key") { Description = "Private key, PEM (PKCS#8 or SEC1), ECDSA P-256", Required = true };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the signed module (default: FILE, in place)" };
        var cmd = new Command("sign", "Sign a plugin with an ECDSA P-256 key (detached signature in a pliant.signature section).");
        cmd.Arguments.Add(file);
        cmd.Options.Add(key);
        cmd.Options.Add(output);
        cmd.SetAction(pr => Guard("sign", () => Sign(pr.GetValue(file)!, pr.GetValue(key)!, pr.GetValue(output))));
        return cmd;
    }

    private static Command CreateKeygen()
    {
        var output = new Option<string>("--out") { Description = "Private key file to create (PEM); the public key goes to OUT.pub", Required = true };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing key file" };
        var cmd = new Command("keygen", "Create an ECDSA P-256 signing key.");
        cmd.Options.Add(output);
        cmd.Options.Add(force);
        cmd.SetAction(pr => Guard("keygen", () => Keygen(pr.GetValue(output)!, pr.GetValue(force))));
        return cmd;
    }

    private static Command CreateHash()
    {
        var file = new Argument<string>("FILE") { Description = "Plugin module (.wasm)" };
        var cmd = new Command("hash", "Print a plugin's id@sha256 (the value --trust takes) and its signers' key ids.");
        cmd.Arguments.Add(file);
        cmd.SetAction(pr => Guard("hash", () => Hash(pr.GetValue(file)!)));
        return cmd;
    }

    /// <summary>Signs <paramref name="path"/> with the key in <paramref name="keyPath"/>; writes to <paramref name="outputPath"/> or in place.</summary>
    public static int Sign(string path, string keyPath, string? outputPath)
    {
        byte[] wasm = File.ReadAllBytes(path);
        using var key = LoadKey(keyPath);
        byte[] signed;
        try { signed = PluginSigner.Sign(wasm, key); }
        catch (FormatException e) { throw new CliException(ExitCodes.Usage, $"{path}: {e.Message}"); }
        string target = outputPath ?? path;
        WriteAtomically(target, signed);
        Console.WriteLine($"{PluginReference.FromModule(signed)} signed by {PluginSignature.KeyIdOf(key)} -> {target}");
        return ExitCodes.Ok;
    }

    /// <summary>Creates a key at <paramref name="path"/> (0600) and its public half at <paramref name="path"/>.pub.</summary>
    public static int Keygen(string path, bool force)
    {
        if (File.Exists(path) && !force) throw new CliException(ExitCodes.Usage, $"{path} exists (use --force to overwrite)");
        using var key = PluginSigner.CreateKey();
        WriteAtomically(path, System.Text.Encoding.ASCII.GetBytes(PluginSigner.ExportPrivateKeyPem(key)), privateFile: true);
        WriteAtomically(path + ".pub", System.Text.Encoding.ASCII.GetBytes(PluginSigner.ExportPublicKeyPem(key)));
        Console.WriteLine($"key {PluginSignature.KeyIdOf(key)} -> {path} (public: {path}.pub)");
        return ExitCodes.Ok;
    }

    /// <summary>Prints <c>id@sha256</c> and signer key ids of a module.</summary>
    public static int Hash(string path)
    {
        byte[] wasm = File.ReadAllBytes(path);
        try
        {
            Console.WriteLine(PluginReference.FromModule(wasm));
            foreach (var s in PluginSignature.ReadAll(wasm)) Console.WriteLine($"signed by key {s.KeyId}");
        }
        catch (FormatException e) { throw new CliException(ExitCodes.Usage, $"{path}: {e.Message}"); }
        return ExitCodes.Ok;
    }

    private static ECDsa LoadKey(string keyPath)
    {
        string pem;
        try { pem = File.ReadAllText(keyPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException(ExitCodes.Usage, $"--key {keyPath}: {e.Message}"); }
        try { return PluginSigner.ImportPrivateKeyPem(pem); }
        catch (Exception e) when (e is ArgumentException or CryptographicException) { throw new CliException(ExitCodes.Usage, $"--key {keyPath}: not an ECDSA P-256 private key in PEM ({e.Message})"); }
    }

    private static void WriteAtomically(string path, byte[] bytes, bool privateFile = false)
    {
        string tmp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (privateFile && !OperatingSystem.IsWindows()) SetPrivate(options);
        using (var fs = new FileStream(tmp, options)) fs.Write(bytes);
        File.Move(tmp, path, overwrite: true);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void SetPrivate(FileStreamOptions options) => options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static int Guard(string name, Func<int> action)
    {
        try { return action(); }
        catch (CliException e) { Console.Error.WriteLine($"pliant plugin {name}: {e.Message}"); return e.Code; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"pliant plugin {name}: {e.Message}");
            return ExitCodes.Usage;
        }
    }
}
