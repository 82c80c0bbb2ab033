using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Pliant.Cli.Route;
using Pliant.Router;
using Pliant.Router.QuicLb;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant route --listen ADDR:PORT --backend NAME=HOST:PORT … [--alpn PROTO=HOST:PORT …] [--default HOST:PORT]
/// [--lb-config FILE] [--upstream ADDR:PORT] [--stats] …</c>: one UDP port in front of many QUIC servers
/// (docs/routing.md). New connections go by the server name and ALPN of their ClientHello (exact name, then
/// wildcard, then ALPN, then default); later packets by connection ID (QUIC-LB, or IDs learned from foreign
/// backends) or 4-tuple. Runs until Ctrl+C or SIGTERM.
/// </summary>
internal static class RouteCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen", "-l") { Description = "Address and UDP port clients send to", DefaultValueFactory = _ => "127.0.0.1:4433" };
        var backend = new Option<string[]>("--backend", "-b")
        {
            Description = "NAME=HOST:PORT: connections whose ClientHello names NAME go to HOST:PORT. NAME is a host name or a wildcard *.suffix " +
                          "(any name ending in .suffix, the longest wins); an exact name beats a wildcard. Repeat a NAME for a pool",
            AllowMultipleArgumentsPerToken = false,
        };
        var alpn = new Option<string[]>("--alpn") { Description = "PROTO=HOST:PORT: connections offering ALPN PROTO (and no matching name) go to HOST:PORT" };
        var dflt = new Option<string[]>("--default") { Description = "HOST:PORT for connections no other rule matches (also unknown QUIC versions, answered with Version Negotiation there)" };
        var lbConfig = new Option<string?>("--lb-config")
        {
            Description = "QUIC-LB JSON file (docs/routing.md): configurations (config_id, server_id_length, nonce_length, key) and servers " +
                          "(server_id, address, forwarding_header). Listed servers are routed by their connection IDs without state; " +
                          "\"forwarding_header\": true marks a Pliant backend (pliant serve --behind-router) that needs no per-connection table",
        };
        var upstream = new Option<string?>("--upstream") { Description = "Address (and port) of the socket facing the backends; Pliant backends name it in --behind-router. Default: the listen IP, any port" };
        var stats = new Option<bool>("--stats") { Description = "Print the counters as one key=value line every --stats-interval seconds (and always at exit)" };
        var statsInterval = new Option<double>("--stats-interval") { Description = "Seconds between --stats lines", DefaultValueFactory = _ => 1 };
        var maxFlows = new Option<int>("--max-flows") { Description = "Most client flows to foreign backends at once (one socket each); more new ones are refused", DefaultValueFactory = _ => 4096 };
        var health = new Option<double>("--health-interval") { Description = "Seconds between health probes of each backend (0: no probes); a backend silent for 3 probes gets no new connections", DefaultValueFactory = _ => 1 };

        var qlog = new Option<string?>("--qlog")
        {
            Description = "Write a qlog of each client connection's first flight as the router saw it (its Initials, and the backend and rule " +
                          "chosen) into DIR, ODCID_router.sqlog (docs/qlog.md); default: the QLOGDIR environment variable",
        };
        var qlogFormat = CliSupport.QlogFormatOption();
        var cmd = new Command("route", "Route QUIC from one UDP port to several servers by SNI/ALPN and connection ID (QUIC-LB), without per-connection state for Pliant backends");
        foreach (var o in new Option[] { listen, backend, alpn, dflt, lbConfig, upstream, stats, statsInterval, maxFlows, health, qlog, qlogFormat }) cmd.Options.Add(o);
        cmd.SetAction(async (pr, ct) =>
        {
            RouterHostOptions hostOptions;
            QuicRouter router;
            IReadOnlyList<string> description;
            try
            {
                var rules = new List<RouteSetup.Rule>();
                foreach (var b in pr.GetValue(backend) ?? [])
                {
                    var (name, address) = RouteSetup.ParseAssignment("--backend", b);
                    rules.Add(new RouteSetup.Rule("backend", name, address));
                }
                foreach (var a in pr.GetValue(alpn) ?? [])
                {
                    var (proto, address) = RouteSetup.ParseAssignment("--alpn", a);
                    rules.Add(new RouteSetup.Rule("alpn", proto, address));
                }
                foreach (var d in pr.GetValue(dflt) ?? []) rules.Add(new RouteSetup.Rule("default", "", RouteSetup.ParseBackendAddress("--default", d)));
                var lb = pr.GetValue(lbConfig) is { } path ? QuicLbConfigFile.Load(path) : null;
                if (pr.GetValue(maxFlows) < 1) throw new CliException(ExitCodes.Usage, "--max-flows must be at least 1");
                double healthSeconds = pr.GetValue(health);
                if (healthSeconds < 0) throw new CliException(ExitCodes.Usage, "--health-interval must not be negative");
                var limits = new RouterLimits { ProbeInterval = TimeSpan.FromSeconds(healthSeconds) };
                router = RouteSetup.Build(rules, lb, limits, out description);
                if ((pr.GetValue(qlog) ?? Pliant.Quic.Diagnostics.QlogTrace.DirectoryFromEnvironment()) is { } qlogDirectory)
                {
                    router.FirstFlightObserver = new FirstFlightQlog(qlogDirectory,
                        CliSupport.ParseQlogFormat(pr.GetValue(qlogFormat)) ?? Pliant.Quic.Diagnostics.QlogTrace.FormatFromEnvironment(),
                        limits.MaxPendingFlights);
                }
                hostOptions = new RouterHostOptions
                {
                    Listen = CliSupport.ParseEndPoint(pr.GetValue(listen)!, 4433),
                    Upstream = pr.GetValue(upstream) is { } u ? CliSupport.ParseEndPoint(u, 0) : null,
                    MaxFlows = pr.GetValue(maxFlows),
                };
            }
            catch (Exception e) when (e is CliException or FormatException)
            {
                Console.Error.WriteLine("pliant route: " + e.Message);
                return e is CliException c ? c.Code : ExitCodes.Usage;
            }
            return await RunAsync(router, hostOptions, description, pr.GetValue(stats), pr.GetValue(statsInterval), ct).ConfigureAwait(false);
        });
        return cmd;
    }

    private static async Task<int> RunAsync(QuicRouter router, RouterHostOptions options, IReadOnlyList<string> description, bool stats, double interval, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });
        RouterHost host;
        try
        {
            host = RouterHost.Start(router, options);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            Console.Error.WriteLine($"pliant route: cannot bind {options.Listen} / {options.Upstream}: {e.Message}");
            return ExitCodes.ConnectionError;
        }
        await using (host.ConfigureAwait(false))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pliant route: listening on {host.ListenEndPoint} upstream={host.UpstreamEndPoint} backends={router.Backends.Count} health-interval={router.Limits.ProbeInterval.TotalSeconds:0.###}s"));
            foreach (var line in description) Console.WriteLine("pliant route: " + line);
            try
            {
                var period = stats && interval > 0 ? TimeSpan.FromSeconds(interval) : Timeout.InfiniteTimeSpan;
                while (true)
                {
                    await Task.Delay(period, stop.Token).ConfigureAwait(false);
                    Console.WriteLine(host.StatsLine());
                    if (host.FirstFault is { } f && host.Faults > 0) Console.Error.WriteLine($"pliant route: {host.Faults} internal error(s), first: {f}");
                }
            }
            catch (OperationCanceledException)
            {
            }
            Console.WriteLine(host.StatsLine());
            if (host.FirstFault is { } fault) Console.Error.WriteLine($"pliant route: {host.Faults} internal error(s), first: {fault}");
        }
        (router.FirstFlightObserver as IDisposable)?.Dispose(); // traces of flights still pending end here
        return ExitCodes.Ok;
    }
}
