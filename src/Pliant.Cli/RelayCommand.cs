using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Pliant.Cli.Relay;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant relay --listen ADDR:PORT --to ADDR:PORT [--both SPEC] [--up SPEC] [--down SPEC] [--seed N]
/// [--blackhole-after SIZE --blackhole-for DURATION] [--lose-second-flight DURATION] [--stats SECONDS]</c>:
/// the UDP impairment relay of the interop fault cases (docs/interop.md, "Fault cases"), to reproduce one by
/// hand. Runs until Ctrl+C or SIGTERM, then prints what it did per direction and flow.
/// </summary>
internal static class RelayCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen", "-l") { Description = "Address and UDP port clients send to", DefaultValueFactory = _ => "127.0.0.1:4434" };
        var to = new Option<string>("--to") { Description = "The server's address and UDP port", Required = true };
        var both = new Option<string>("--both") { Description = "Impairments for both directions, e.g. delay=5ms,loss=0.02 (keys: delay, jitter, loss, corrupt, reorder, reorder-delay, rate, queue)", DefaultValueFactory = _ => "none" };
        var up = new Option<string?>("--up") { Description = "Impairments client → server (replaces --both for that direction)" };
        var down = new Option<string?>("--down") { Description = "Impairments server → client (replaces --both for that direction)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of every random choice (same seed + same traffic = same choices)", DefaultValueFactory = _ => 1 };
        var blackholeAfter = new Option<string?>("--blackhole-after") { Description = "Drop everything, both ways, once this many bytes went server → client (e.g. 3m)" };
        var blackholeFor = new Option<string>("--blackhole-for") { Description = "How long the blackhole lasts", DefaultValueFactory = _ => "3s" };
        var loseSecondFlight = new Option<string?>("--lose-second-flight") { Description = "Per client: drop its datagrams after the first for this long (e.g. 1s)" };
        var stats = new Option<double>("--stats") { Description = "Print the counters every N seconds (0 = only at exit)", DefaultValueFactory = _ => 0 };

        var cmd = new Command("relay", "UDP relay that delays, drops, corrupts, reorders and rate-limits datagrams (seeded), for fault tests");
        foreach (var o in new Option[] { listen, to, both, up, down, seed, blackholeAfter, blackholeFor, loseSecondFlight, stats }) cmd.Options.Add(o);
        cmd.SetAction(async (pr, ct) =>
        {
            RelayOptions options;
            try
            {
                var bothSpec = pr.GetValue(both)!;
                options = new RelayOptions
                {
                    ListenEndPoint = CliSupport.ParseEndPoint(pr.GetValue(listen)!, 4434),
                    TargetEndPoint = CliSupport.ParseEndPoint(pr.GetValue(to)!, 4433),
                    Seed = pr.GetValue(seed),
                    ClientToServer = ImpairmentSettings.Parse(pr.GetValue(up) ?? bothSpec),
                    ServerToClient = ImpairmentSettings.Parse(pr.GetValue(down) ?? bothSpec),
                    BlackholeAfterBytes = pr.GetValue(blackholeAfter) is { } b ? ImpairmentSettings.ParseSize(b) : -1,
                    BlackholeDuration = ImpairmentSettings.ParseDuration(pr.GetValue(blackholeFor)!),
                    LoseSecondFlight = pr.GetValue(loseSecondFlight) is { } l ? ImpairmentSettings.ParseDuration(l) : TimeSpan.Zero,
                };
                options.Validate();
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException or CliException)
            {
                Console.Error.WriteLine("pliant relay: " + ex.Message);
                return ExitCodes.Usage;
            }
            return await RunAsync(options, pr.GetValue(stats), ct).ConfigureAwait(false);
        });
        return cmd;
    }

    private static async Task<int> RunAsync(RelayOptions options, double statsSeconds, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });
        ImpairmentRelay relay;
        try
        {
            relay = ImpairmentRelay.Start(options);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            Console.Error.WriteLine($"pliant relay: cannot listen on {options.ListenEndPoint}: {ex.Message}");
            return ExitCodes.ConnectionError;
        }
        await using (relay.ConfigureAwait(false))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pliant relay: listening on {relay.LocalEndPoint} -> {options.TargetEndPoint} seed={options.Seed} up={options.ClientToServer} down={options.ServerToClient}"));
            try
            {
                var period = statsSeconds > 0 ? TimeSpan.FromSeconds(statsSeconds) : Timeout.InfiniteTimeSpan;
                while (true)
                {
                    await Task.Delay(period, stop.Token).ConfigureAwait(false);
                    Console.Write(relay.Report(maxFlows: 4));
                }
            }
            catch (OperationCanceledException)
            {
            }
            Console.Write(relay.Report(maxFlows: 64));
        }
        return ExitCodes.Ok;
    }
}
