using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Pliant.Net.Udp.Linux;
using Pliant.Quic.Connection;
using Pliant.Router.QuicLb;

namespace Pliant.Cli.Route;

/// <summary>
/// <c>pliant serve --reuseport</c> (docs/routing.md, "Reuseport group"): this process joins the SO_REUSEPORT group of
/// <c>pliant serve</c> processes on its port as the newest generation; its drivers issue plaintext QUIC-LB connection
/// IDs whose server ID ends in (generation, driver), which the group's BPF program steers on.
/// </summary>
internal sealed class ServeReusePort : IDisposable
{
    /// <summary>Without <c>--lb-config</c>: config 0, a 3-byte server ID (host prefix 00, generation, driver), 8 nonce bytes: 12-byte IDs.</summary>
    private static readonly QuicLbConfiguration DefaultConfig = new(0, 3, 8);

    private static readonly byte[] DefaultHostPrefix = [0x00];

    private readonly QuicLbConfiguration _config;
    private readonly byte[] _prefix;

    private ServeReusePort(ReusePortMembership membership, QuicLbConfiguration config, byte[] prefix)
    {
        Membership = membership;
        _config = config;
        _prefix = prefix;
    }

    /// <summary>The group membership (sockets, generation, drain, leave).</summary>
    public ReusePortMembership Membership { get; }

    /// <summary>Joins the group on <paramref name="endPoint"/> with <paramref name="drivers"/> sockets.</summary>
    public static ServeReusePort Join(ServeRouting routing, IPEndPoint endPoint, int drivers, string? runDirectory)
    {
        if (!OperatingSystem.IsLinux()) throw new CliException(ExitCodes.Usage, "--reuseport needs Linux (SO_REUSEPORT with a BPF program)");
        if (routing.BehindRouter is not null) throw new CliException(ExitCodes.Usage, "--reuseport: not with --behind-router");
        if (endPoint.Port == 0) throw new CliException(ExitCodes.Usage, "--reuseport needs a fixed port in --listen");
        var config = routing.Config ?? DefaultConfig;
        var prefix = routing.GivenServerId ?? DefaultHostPrefix;
        if (config.Key is not null)
            throw new CliException(ExitCodes.Usage, "--reuseport steers on the plaintext server ID (classic BPF cannot run AES): the --lb-config configuration must have no key");
        if (ServerIdLayout.LocalBytes(config.ServerIdLength, prefix.Length) < 2)
            throw new CliException(ExitCodes.Usage,
                $"--reuseport puts the generation and driver in the server ID's last two bytes: give a host prefix (--server-id) of at most {config.ServerIdLength - 2} bytes, or a longer server_id_length");
        byte mask = config.EncodeLength ? (byte)0xFF : (byte)0xE0;
        byte first = new QuicLbCodec(config).FirstOctet(0);
        var layout = new SteeringLayout(config.ConnectionIdLength, mask, (byte)(first & mask), prefix, 1 + config.ServerIdLength - 2);
        try
        {
            var membership = ReusePortMembership.Join(endPoint, drivers, layout, runDirectory ?? ReusePortMembership.DefaultRunDirectory(),
                message => Console.Error.WriteLine("pliant serve: " + message));
            return new ServeReusePort(membership, config, prefix);
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(ExitCodes.Usage, "--reuseport: " + e.Message);
        }
        catch (SocketException e)
        {
            throw new CliException(ExitCodes.Usage, $"--reuseport: cannot join the group on {endPoint}: {e.Message} (every process on the port must use --reuseport, as the same user)");
        }
    }

    /// <summary>The connection ID generator of driver <paramref name="driver"/>.</summary>
    public IConnectionIdGenerator Generator(int driver) =>
        new QuicLbConnectionIdGenerator(_config, ServerIdLayout.Compose(_prefix, _config.ServerIdLength, Membership.Generation, driver));

    /// <summary>For the "listening" line.</summary>
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $" reuseport=generation:{Membership.Generation},pid:{Environment.ProcessId},server-id:{QuicLbConfigFile.ToHex(ServerIdLayout.Compose(_prefix, _config.ServerIdLength, Membership.Generation, 0))}..,cid-length:{_config.ConnectionIdLength},state:{Membership.StatePath}");

    public void Dispose() => Membership.Dispose();
}
