using System.Globalization;
using System.Net;
using Pliant.Quic.Connection;
using Pliant.Router.QuicLb;

namespace Pliant.Cli.Route;

/// <summary>
/// <c>pliant serve</c> behind a router (docs/routing.md): <c>--behind-router ADDR[:PORT]</c> (the forwarding header
/// both ways, the router keeps no per-connection state) and <c>--lb-config FILE [--server-id HEX] [--config-id N]</c>
/// (QUIC-LB connection IDs carrying this server's ID, so every later packet, migrations included, routes to it).
/// Without <c>--server-id</c> the server entry of the file whose address is the listen address is used.
/// </summary>
internal sealed record ServeRouting(IPEndPoint? BehindRouter, IConnectionIdGenerator? Generator, string Description)
{
    /// <summary>The QUIC-LB configuration of <c>--lb-config</c> (null without it).</summary>
    public QuicLbConfiguration? Config { get; init; }

    /// <summary>The server ID as given (<c>--server-id</c> or the file's entry): a host prefix when shorter than the configuration's.</summary>
    public byte[]? GivenServerId { get; init; }

    public static ServeRouting None { get; } = new(null, null, "");

    /// <summary>Builds it from the options; <see cref="CliException"/> (usage) for anything inconsistent.</summary>
    public static ServeRouting From(string? behindRouter, string? lbConfig, string? serverIdHex, int? configId, IPEndPoint listen)
    {
        IPEndPoint? router = behindRouter is null ? null : CliSupport.ParseEndPoint(behindRouter, 0);
        if (lbConfig is null)
        {
            if (serverIdHex is not null || configId is not null) throw new CliException(ExitCodes.Usage, "--server-id and --config-id need --lb-config");
            return router is null ? None : new ServeRouting(router, null, $" behind-router={router}");
        }
        QuicLbConfigFile file;
        try
        {
            file = QuicLbConfigFile.Load(lbConfig);
        }
        catch (FormatException e)
        {
            throw new CliException(ExitCodes.Usage, "--lb-config " + e.Message);
        }
        byte[] serverId;
        QuicLbConfiguration config;
        var entry = file.Servers.FirstOrDefault(s => s.Address.Equals(listen) && (configId is null || s.ConfigId == configId));
        if (serverIdHex is not null)
        {
            try
            {
                serverId = Convert.FromHexString(serverIdHex.Replace(":", "", StringComparison.Ordinal));
                config = file.Select(configId ?? entry?.ConfigId);
            }
            catch (FormatException e)
            {
                throw new CliException(ExitCodes.Usage, $"--server-id/--config-id: {e.Message}");
            }
        }
        else if (entry is not null)
        {
            serverId = entry.ServerId;
            config = file.Select(entry.ConfigId);
            if (entry.ForwardingHeader && router is null)
                throw new CliException(ExitCodes.Usage, $"--lb-config lists {listen} with \"forwarding_header\": true: give --behind-router ROUTER-ADDRESS");
        }
        else
        {
            throw new CliException(ExitCodes.Usage, $"--lb-config has no server with address {listen}: give --server-id HEX");
        }
        if (serverId.Length == 0 || serverId.Length > config.ServerIdLength)
            throw new CliException(ExitCodes.Usage, $"--server-id must be 1 to {config.ServerIdLength} bytes for config {config.ConfigId}");
        // A shorter ID is a host prefix (draft §5.2: the load balancer may know only a prefix); the rest is generation 0, driver 0.
        var full = serverId.Length == config.ServerIdLength ? serverId : ServerIdLayout.Compose(serverId, config.ServerIdLength);
        var generator = new QuicLbConnectionIdGenerator(config, full);
        return new ServeRouting(router, generator, string.Create(CultureInfo.InvariantCulture,
            $"{(router is null ? "" : $" behind-router={router}")} quic-lb=config:{config.ConfigId},server-id:{QuicLbConfigFile.ToHex(full)},{config.Algorithm.ToString().ToLowerInvariant()},cid-length:{config.ConnectionIdLength}"))
        {
            Config = config,
            GivenServerId = serverId,
        };
    }
}
