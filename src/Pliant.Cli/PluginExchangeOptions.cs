using System.CommandLine;
using System.Text;
using Pliant.Plugins;
using Pliant.Plugins.Exchange;
using Pliant.Plugins.Trust;
using Pliant.Quic.Connection;

namespace Pliant.Cli;

/// <summary>
/// What <c>--plugin FILE</c>, <c>--push FILE</c> and <c>--trust KEY|HASH</c> (on <c>pliant serve</c>
/// and <c>pliant get</c>) turn into: plugins the application attaches to each of its connections,
/// plugins pushed to the peer, and the trust policy for plugins the peer pushes.
/// </summary>
internal sealed class PluginSetup
{
    /// <summary>Modules attached by the application to every connection (<see cref="PluginOrigin.Application"/>).</summary>
    public required IReadOnlyList<PluginModule> Attach { get; init; }

    /// <summary>Pushes, trust policy and host for <see cref="PluginExchange"/>.</summary>
    public required PluginExchangeOptions Exchange { get; init; }

    /// <summary>The host running both local and injected plugins.</summary>
    public PluginHost Host => Exchange.Host;

    /// <summary>True when nothing was asked for: leave connections exactly as they are.</summary>
    public bool IsEmpty => Attach.Count == 0 && Exchange.Push.Count == 0 && Exchange.TrustPolicy is null;

    /// <summary>Transport parameters for <c>QuicConnectionOptions.ExtraTransportParameters</c> (empty when <see cref="IsEmpty"/>).</summary>
    public IReadOnlyList<(ulong Id, byte[] Value)> TransportParameters => IsEmpty ? [] : Exchange.BuildTransportParameters();

    /// <summary>
    /// Sets up one new connection (call before its handshake completes): attaches the local plugins
    /// and starts the exchange. Returns the exchange, or null when <see cref="IsEmpty"/>.
    /// </summary>
    public PluginExchange? AttachTo(QuicConnectionCore connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (IsEmpty) return null;
        foreach (var module in Attach)
        {
            try { Host.Attach(connection, module, PluginOrigin.Application); }
            catch (PluginLoadException e) { connection.RaisePluginEvent(module.Id, "refused: " + e.Message); }
        }
        return PluginExchange.Attach(connection, Exchange);
    }

    /// <summary>A one-line description of a plugin event for the log, or null for other events.</summary>
    public static string? Describe(in ConnectionEvent e) =>
        e.Kind == ConnectionEventKind.Plugin ? $"plugin {(e.Data is { } d ? Encoding.UTF8.GetString(d) : "?")}: {e.Reason}" : null;
}

/// <summary>The <c>--plugin</c>, <c>--push</c> and <c>--trust</c> options and how they are parsed.</summary>
internal static class PluginCliOptions
{
    /// <summary><c>--plugin FILE</c> (repeatable): attach the plugin to every connection.</summary>
    public static Option<string[]> CreatePluginOption() => new("--plugin")
    {
        Description = "Attach this plugin (.wasm) to every connection (repeatable)",
    };

    /// <summary><c>--push FILE</c> (repeatable): push the plugin to every peer that accepts pushes.</summary>
    public static Option<string[]> CreatePushOption() => new("--push")
    {
        Description = "Push this plugin (.wasm) to every peer that accepts pushed plugins (repeatable)",
    };

    /// <summary><c>--trust KEY|HASH</c> (repeatable): accept peer-pushed plugins signed by KEY or with content hash HASH.</summary>
    public static Option<string[]> CreateTrustOption() => new("--trust")
    {
        Description = "Accept plugins pushed by the peer when signed by this public key (PEM/DER file), or with this SHA-256 (64 hex digits, or a .wasm file whose hash to trust) (repeatable)",
    };

    /// <summary>Adds the three options to <paramref name="command"/> and returns them.</summary>
    public static (Option<string[]> Plugin, Option<string[]> Push, Option<string[]> Trust) AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var options = (CreatePluginOption(), CreatePushOption(), CreateTrustOption());
        command.Options.Add(options.Item1);
        command.Options.Add(options.Item2);
        command.Options.Add(options.Item3);
        return options;
    }

    /// <summary>Reads the three options' values from a parse result.</summary>
    public static PluginSetup Build(ParseResult result, (Option<string[]> Plugin, Option<string[]> Push, Option<string[]> Trust) options)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Build(result.GetValue(options.Plugin) ?? [], result.GetValue(options.Push) ?? [], result.GetValue(options.Trust) ?? []);
    }

    /// <summary>
    /// Builds the setup. Throws <see cref="CliException"/> (usage) for a missing file, a module the host
    /// rejects, or a <c>--trust</c> value that is neither a key nor a hash. Without <c>--trust</c> we do
    /// not accept pushed plugins at all (and say so to the peer).
    /// </summary>
    public static PluginSetup Build(IEnumerable<string> plugins, IEnumerable<string> pushes, IEnumerable<string> trusts)
    {
        var attach = new List<PluginModule>();
        foreach (var path in plugins)
        {
            try { attach.Add(PluginModule.Load(ReadFile(path, "--plugin"))); }
            catch (PluginLoadException e) { throw new CliException(ExitCodes.Usage, $"--plugin {path}: {e.Message}"); }
        }
        var exchange = new PluginExchangeOptions();
        foreach (var path in pushes)
        {
            byte[] wasm = ReadFile(path, "--push");
            // Check it here, so a broken file fails at startup rather than at every peer.
            try { PluginModule.Load(wasm); exchange.AddPush(wasm); }
            catch (Exception e) when (e is PluginLoadException or FormatException) { throw new CliException(ExitCodes.Usage, $"--push {path}: {e.Message}"); }
        }
        var trustList = trusts.ToList();
        if (trustList.Count > 0)
        {
            var policy = new PluginTrustPolicy();
            foreach (var t in trustList) AddTrust(policy, t);
            exchange.TrustPolicy = policy;
        }
        return new PluginSetup { Attach = attach, Exchange = exchange };
    }

    /// <summary>Adds one <c>--trust</c> value: 64 hex digits (content hash), a key file (PEM or DER SPKI), or a .wasm file (its content hash).</summary>
    public static void AddTrust(PluginTrustPolicy policy, string value)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(value);
        if (PluginHash.TryParseHex(value, out _)) { policy.AllowHash(value); return; }
        byte[] bytes = ReadFile(value, "--trust");
        if (bytes.AsSpan().StartsWith("\0asm"u8))
        {
            try { policy.AllowModule(bytes); return; }
            catch (FormatException e) { throw new CliException(ExitCodes.Usage, $"--trust {value}: {e.Message}"); }
        }
        try { policy.TrustKey(bytes); }
        catch (ArgumentException e) { throw new CliException(ExitCodes.Usage, $"--trust {value}: {e.Message}"); }
    }

    private static byte[] ReadFile(string path, string option)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"{option} {path}: {e.Message}");
        }
    }
}
