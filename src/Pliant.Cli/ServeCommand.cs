using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pliant.Http3;
using Pliant.Http3.Server;
using Pliant.Net;
using Pliant.Quic.Connection;
using Pliant.Quic.Tls;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant serve [DIR] [--listen 127.0.0.1:4433] [--cert FILE --key FILE] [--retry] [--no-early-data] [--cc cubic|newreno|bbr] [--quiet]
/// [--behind-router ADDR[:PORT]] [--lb-config FILE [--server-id HEX] [--config-id N]] [--key-file FILE]
/// [--reuseport [--run-dir DIR] [--drain-timeout S]]</c>:
/// an HTTP/3 static file server with session tickets and 0-RTT (a random ticket key per process, or --key-file). 0-RTT
/// ClientHellos are accepted once each (ZeroRttAntiReplay) and early requests run only for GET and HEAD;
/// others are answered 425 Too Early (RFC 8470). Runs until Ctrl+C or SIGTERM; one log line per request.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "Directory to serve", DefaultValueFactory = _ => "." };
        var listen = new Option<string>("--listen", "-l") { Description = "Address and UDP port", DefaultValueFactory = _ => "127.0.0.1:4433" };
        var cert = new Option<string?>("--cert") { Description = "Certificate (PEM; further certificates in the file are sent after it as the chain); without it a self-signed one is made and its SHA-256 printed" };
        var key = new Option<string?>("--key") { Description = "Private key (PEM) for --cert" };
        var retry = new Option<bool>("--retry") { Description = $"Validate every client address with a Retry first (without it, Retry starts by itself above {ServerLimits.Default.RetryThreshold} handshakes in progress)" };
        var noEarlyData = new Option<bool>("--no-early-data")
        {
            Description = "Refuse 0-RTT. By default 0-RTT is accepted once per ClientHello (replays are refused) and only GET and HEAD " +
                          "requests run from early data; any other early request is answered 425 Too Early and retried by the client after the handshake",
        };
        var cc = new Option<string>("--cc") { Description = "Congestion controller: cubic, newreno or bbr (BBRv3)", DefaultValueFactory = _ => "cubic" };
        cc.AcceptOnlyFromAmong([.. CliSupport.CongestionControlNames, "reno"]);
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No per-request log lines" };
        var idleTimeout = new Option<double>("--idle-timeout") { Description = "Seconds without any packet before a connection is dropped (max_idle_timeout, RFC 9000 §10.1)", DefaultValueFactory = _ => 30 };
        var handshakeTimeout = new Option<double>("--handshake-timeout") { Description = "Seconds a handshake may take before its state is dropped (a safety limit on half-open connections; raise it for very lossy paths)", DefaultValueFactory = _ => new Pliant.Quic.Connection.QuicConnectionOptions().HandshakeTimeout.TotalSeconds };
        var threads = new Option<int?>("--threads")
        {
            Description = "Endpoint threads sharing the port (SO_REUSEPORT, each datagram steered to its connection's thread by connection ID; Linux). Default: one per core (1 behind a router or with --lb-config without --reuseport, which choose the connection IDs)",
        };
        var noPark = new Option<bool>("--no-park")
        {
            Description = "With --threads above 1: keep every endpoint thread awake on its own socket. By default a thread whose load fits on the first one's hands it its socket and sleeps, and gets it back when the first thread is over 70 % busy (QuicListenerOptions.ParkIdleDrivers)",
        };
        var behindRouter = new Option<string?>("--behind-router")
        {
            Description = "Serve behind pliant route at this address (ADDR, or ADDR:PORT: its --upstream socket): datagrams come and go with the " +
                          "router's forwarding header naming the client (docs/routing.md); datagrams from anywhere else are dropped",
        };
        var lbConfig = new Option<string?>("--lb-config") { Description = "QUIC-LB file (the one pliant route uses): issue connection IDs with this server's ID in them, so a load balancer routes every packet here" };
        var serverId = new Option<string?>("--server-id") { Description = "This server's QUIC-LB server ID (hex; shorter than the configured length: a host prefix). Default: the --lb-config server whose address is --listen" };
        var configId = new Option<int?>("--config-id") { Description = "Which configuration of --lb-config (needed when it has several)" };
        var qlog = new Option<string?>("--qlog") { Description = "Write a qlog of every connection (JSON-SEQ ODCID_server.sqlog, or .pqlog with --qlog-format binary) into DIR; default: the QLOGDIR environment variable" };
        var qlogFormat = CliSupport.QlogFormatOption();
        var keyFile = new Option<string?>("--key-file")
        {
            Description = "Session-ticket, address-token and stateless-reset keys from FILE (created owner-only with random keys if missing; " +
                          "refused if other users can read it), so that resumption, Retry tokens and resets survive a restart: give every " +
                          "generation of a --reuseport group the same file. Default: random keys per process",
        };
        var reusePort = new Option<bool>("--reuseport")
        {
            Description = "Join the SO_REUSEPORT group of pliant serve --reuseport processes on this port as its newest generation (Linux; " +
                          "docs/routing.md): a BPF program steers every datagram to the process and thread whose connection ID it carries, and " +
                          "new connections to the newest process. Zero-downtime restart: start the new process, then SIGTERM the old one, " +
                          "which finishes its connections and exits. Connection IDs are plaintext QUIC-LB (--lb-config without a key, or a " +
                          "default 12-byte layout)",
        };
        var runDir = new Option<string?>("--run-dir") { Description = "With --reuseport: directory of the group's state and lock files (default $XDG_RUNTIME_DIR/pliant, else /tmp/pliant-UID; not writable by others)" };
        var drainTimeout = new Option<double>("--drain-timeout")
        {
            Description = "With --reuseport: after SIGTERM, seconds to wait for this process's connections to finish before closing them (a second SIGTERM or Ctrl+C stops at once)",
            DefaultValueFactory = _ => 300,
        };

        var multipath = new Option<bool>("--multipath") { Description = "Offer multipath QUIC (draft-ietf-quic-multipath-21, path IDs 0-3): clients that offer it too may open more paths (pliant get --multipath --bind)" };

        var cmd = new Command("serve", "Serve files over HTTP/3. " + SafeDefaults());
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { listen, cert, key, retry, noEarlyData, cc, quiet, idleTimeout, handshakeTimeout, threads, noPark, behindRouter, lbConfig, serverId, configId, qlog, qlogFormat, keyFile, reusePort, runDir, drainTimeout, multipath }) cmd.Options.Add(o);
        var pluginOptions = PluginCliOptions.AddTo(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            try
            {
                var plugins = PluginCliOptions.Build(pr, pluginOptions);
                var routing = Route.ServeRouting.From(pr.GetValue(behindRouter), pr.GetValue(lbConfig), pr.GetValue(serverId), pr.GetValue(configId),
                    CliSupport.ParseEndPoint(pr.GetValue(listen)!, 4433));
                var restart = new Route.ServeRestart(pr.GetValue(keyFile), pr.GetValue(reusePort), pr.GetValue(runDir), TimeSpan.FromSeconds(Math.Max(0, pr.GetValue(drainTimeout))));
                if (!restart.ReusePort && (pr.GetResult(runDir) is { Implicit: false } || pr.GetResult(drainTimeout) is { Implicit: false }))
                    throw new CliException(ExitCodes.Usage, "--run-dir and --drain-timeout go with --reuseport");
                return await RunAsync(pr.GetValue(dir)!, pr.GetValue(listen)!, pr.GetValue(cert), pr.GetValue(key), pr.GetValue(retry), !pr.GetValue(noEarlyData),
                    pr.GetValue(cc)!, pr.GetValue(quiet), TimeSpan.FromSeconds(Math.Max(1, pr.GetValue(idleTimeout))), TimeSpan.FromSeconds(Math.Max(1, pr.GetValue(handshakeTimeout))), plugins, routing,
                    ServeThreads(pr.GetValue(threads), routing, restart.ReusePort), !pr.GetValue(noPark), (pr.GetValue(qlog), CliSupport.ParseQlogFormat(pr.GetValue(qlogFormat))), pr.GetValue(multipath), restart, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var (code, message) = CliSupport.Describe(ex, connected: false);
                Console.Error.WriteLine("pliant serve: " + message);
                return code;
            }
        });
        return cmd;
    }

    /// <summary>
    /// Early requests run only for these methods (RFC 9110 §9.2.1 safe methods the static handler serves);
    /// anything else that arrives as 0-RTT is answered 425 Too Early.
    /// </summary>
    private static readonly Http3ServerOptions H3Options = new()
    {
        EarlyDataPolicy = Http3EarlyDataPolicy.RejectUnsafe,
        EarlyDataMethods = new HashSet<string>(StringComparer.Ordinal) { "GET", "HEAD" },
        // The static handler does little synchronous work (path checks, an open, small files read at once):
        // it starts on the endpoint's thread, no thread-pool hop per request (issue 17).
        InlineHandlers = true,
    };

    /// <summary>
    /// --threads: as given (0 = one per core); by default one per core on Linux, 1 elsewhere and when a router or
    /// QUIC-LB configuration chooses the connection IDs.
    /// </summary>
    private static int ServeThreads(int? given, Route.ServeRouting routing, bool reusePort)
    {
        if (given is { } n) return n <= 0 ? Environment.ProcessorCount : n;
        if (reusePort) return Math.Clamp(Environment.ProcessorCount, 1, 64);
        if (!OperatingSystem.IsLinux() || routing.BehindRouter is not null || routing.Generator is not null) return 1;
        return Math.Clamp(Environment.ProcessorCount, 1, 64);
    }

    /// <summary>The admission and safety defaults, from the types that define them (docs/security.md has the reasons).</summary>
    private static string SafeDefaults()
    {
        var l = ServerLimits.Default;
        var handshake = new Pliant.Quic.Connection.QuicConnectionOptions().HandshakeTimeout;
        return FormattableString.Invariant(
            $"Safe by default (docs/security.md): no state for an Initial that does not decrypt to a ClientHello; Retry by itself above {l.RetryThreshold} handshakes in progress; handshakes dropped after {handshake.TotalSeconds:0} s (--handshake-timeout); at most {l.MaxConnections:N0} connections ({l.MaxConnectionsPerAddress:N0} per client address) and {l.MaxHandshakes:N0} handshakes in progress ({l.MaxHandshakesPerAddress:N0} per address), beyond them CONNECTION_REFUSED; never more than 3x the bytes received sent to an unvalidated address; at most {l.StatelessResponsesPerSecond:N0} stateless answers a second; 0-RTT once per ClientHello, early GET/HEAD only; no dotfiles, no path out of DIR.");
    }

    private static async Task<int> RunAsync(string root, string listen, string? certPath, string? keyPath, bool retry, bool earlyData, string cc, bool quiet,
        TimeSpan idleTimeout, TimeSpan handshakeTimeout, PluginSetup plugins, Route.ServeRouting routing, int threads, bool parkIdle, (string? Directory, Pliant.Quic.Diagnostics.QlogFormat? Format) qlog, bool multipath, Route.ServeRestart restart, CancellationToken ct)
    {
        if (threads > 1 && !restart.ReusePort && (routing.BehindRouter is not null || routing.Generator is not null))
            throw new CliException(ExitCodes.Usage, "--threads above 1 picks its own connection IDs: not with --behind-router or --lb-config");
        if (!Directory.Exists(root)) throw new CliException(ExitCodes.Usage, $"no such directory: {root}");
        if ((certPath is null) != (keyPath is null)) throw new CliException(ExitCodes.Usage, "--cert and --key go together");
        var endPoint = CliSupport.ParseEndPoint(listen, 4433);
        X509Certificate2 certificate = certPath is null ? QuicServerCertificates.CreateSelfSigned() : CliSupport.LoadCertificate(certPath, keyPath!);

        var keys = restart.LoadKeys();
        // With --reuseport, System.CommandLine leaves SIGTERM and SIGINT to the handlers below (CommandLine.Run).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // --reuseport: the first SIGTERM drains (this generation finishes its connections, the newest takes new ones); a second one, or Ctrl+C, stops.
        using var drain = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            if (restart.ReusePort && !drain.IsCancellationRequested) drain.Cancel();
            else stop.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });

        var ticketKey = keys?.TicketKey ?? RandomNumberGenerator.GetBytes(32);
        var options = new QuicListenerOptions
        {
            ListenEndPoint = endPoint,
            ApplicationProtocols = ["h3"],
            ServerCertificate = certificate,
            ServerCertificateChain = certPath is null ? null : CliSupport.LoadChain(certPath),
            RequireRetry = retry,
            TicketKey = ticketKey,
            StaticKey = keys?.StaticKey,
            EnableEarlyData = earlyData,
            ForwardedBy = routing.BehindRouter,
            ConnectionIdGenerator = routing.Generator,
            Drivers = restart.ReusePort ? 1 : Math.Min(threads, 64),
            ParkIdleDrivers = parkIdle,
            ConnectionOptions = new QuicServerConnectionOptions
            {
                CongestionControl = CliSupport.ParseCongestionControl(cc) ?? CongestionControlAlgorithm.Cubic,
                IdleTimeout = idleTimeout,
                HandshakeTimeout = handshakeTimeout,
                QlogDirectory = qlog.Directory,
                QlogFormat = qlog.Format,
                MaxPathId = multipath ? MultipathCli.MaxPathId : null,
                ExtraTransportParameters = plugins.TransportParameters,
                ConfigureCore = plugins.IsEmpty ? null : core => plugins.AttachTo(core),
            },
        };
        using var group = restart.ReusePort ? Route.ServeReusePort.Join(routing, endPoint, Math.Min(threads, 64), restart.RunDirectory) : null;
        QuicListener listener;
        if (group is null)
        {
            listener = await QuicListener.ListenAsync(options, stop.Token).ConfigureAwait(false);
        }
        else
        {
            options.ConnectionIdGenerator = null;
            listener = QuicListener.ListenOnSockets(options, group.Membership.Sockets,
                [.. Enumerable.Range(0, group.Membership.Sockets.Count).Select(group.Generator)]);
        }
        try
        {
            return await ServeAsync().ConfigureAwait(false);
        }
        finally
        {
            await listener.DisposeAsync().ConfigureAwait(false);
            // After the drivers stopped: leave the group, rebuilding its program so that no other socket loses its datagrams.
            group?.Dispose();
        }

        async Task<int> ServeAsync()
        {
            var handler = new StaticFileHandler(Path.GetFullPath(root));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pliant serve: listening on {listener.LocalEndPoint} root={Path.GetFullPath(root)} retry={(retry ? "on" : "off")} early-data={(earlyData ? "GET,HEAD" : "off")} cc={cc} threads={listener.DriverCount} cert-sha256={QuicServerCertificates.Sha256Fingerprint(certificate)}{(certPath is null ? " (self-signed)" : "")}{routing.Description}{group?.Description}{(keys is null ? "" : " key-file=" + restart.KeyFile)}"));

            // Live connections' tasks (removed as each ends: no scan of all of them per accept).
            var connections = new System.Collections.Concurrent.ConcurrentDictionary<Task, byte>();
            // One accept loop per endpoint driver: a connection is handed to a waiting loop on its driver's thread, so
            // its setup runs there; with a single loop, connections of the other drivers would queue and cross threads.
            // Accepting ends on stop, or when draining with no newer generation to take new connections.
            using var accepting = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            var loops = new Task<int>[listener.DriverCount];
            for (int i = 0; i < loops.Length; i++) loops[i] = AcceptLoopAsync();
            // A draining generation takes no 0-RTT: its successor shares the ticket key but records in its own register.
            using var noEarlyDataWhenDraining = drain.Token.Register(() => ZeroRttAntiReplay.ForTicketKey(ticketKey).StopAccepting());
            var draining = group is null ? Task.CompletedTask : DrainAsync(group, connections, accepting, stop, drain.Token, restart.DrainTimeout, quiet);
            int exit = ExitCodes.Ok;
            foreach (int code in await Task.WhenAll(loops).ConfigureAwait(false))
                if (code != ExitCodes.Ok) exit = code;
            // Draining without a newer generation ended accepting: the drain says when to stop.
            await draining.ConfigureAwait(false);
            try
            {
                await Task.WhenAll(connections.Keys).WaitAsync(TimeSpan.FromSeconds(3), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            if (exit != ExitCodes.Ok) return exit;
            if (!quiet) Console.WriteLine("pliant serve: stopped");
            return ExitCodes.Ok;

            async Task<int> AcceptLoopAsync()
            {
                try
                {
                    while (!accepting.IsCancellationRequested)
                    {
                        QuicConnection conn;
                        try
                        {
                            conn = await listener.AcceptConnectionAsync(accepting.Token).ConfigureAwait(false);
                        }
                        catch (QuicException ex) when (!stop.IsCancellationRequested)
                        {
                            // Only the listener itself failing or stopping ends accepting (failed handshakes never surface here).
                            Console.Error.WriteLine("pliant serve: " + ex.Message + (ex.InnerException is { } inner ? " " + inner.GetType().Name + ": " + inner.Message : ""));
                            stop.Cancel(); // the other loops end too
                            return ExitCodes.ConnectionError;
                        }
                        if (!plugins.IsEmpty)
                        {
                            foreach (var e in conn.PluginEventLog) Console.WriteLine($"pliant serve: {conn.RemoteEndPoint} plugin {e.PluginId}: {e.Message}");
                            var remote = conn.RemoteEndPoint;
                            conn.PluginEvent += (_, e) => Console.WriteLine($"pliant serve: {remote} plugin {e.PluginId}: {e.Message}");
                        }
                        var served = ServeConnectionAsync(conn, handler, quiet, drain.Token, stop.Token);
                        if (served.IsCompleted) continue;
                        connections.TryAdd(served, 0);
                        _ = served.ContinueWith(static (t, c) => ((System.Collections.Concurrent.ConcurrentDictionary<Task, byte>)c!).TryRemove(t, out _),
                            connections, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    }
                }
                catch (OperationCanceledException) when (accepting.IsCancellationRequested)
                {
                }
                return ExitCodes.Ok;
            }
        }
    }

    /// <summary>
    /// --reuseport, after the first SIGTERM: marks this generation draining (new connections go to the newest one);
    /// without a newer generation stops accepting; waits until no connection is left (seen twice, half a second
    /// apart, so that a handshake in flight at the switch is served too) or the drain timeout; then stops.
    /// </summary>
    private static async Task DrainAsync(Route.ServeReusePort group, System.Collections.Concurrent.ConcurrentDictionary<Task, byte> connections,
        CancellationTokenSource accepting, CancellationTokenSource stop, CancellationToken drain, TimeSpan timeout, bool quiet)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, drain).WaitAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (drain.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException)
        {
            return; // stopped without draining
        }
        bool successor;
        try
        {
            group.Membership.BeginDrain();
            successor = group.Membership.HasSuccessor();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or FormatException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine("pliant serve: drain: " + e.Message);
            successor = false;
        }
        if (!successor) accepting.Cancel();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pliant serve: draining generation {group.Membership.Generation}: {connections.Count} connection(s) open; new connections go to {(successor ? "the newest generation" : "no one (no newer generation): not accepting")}; at most {timeout.TotalSeconds:0} s"));
        var deadline = Stopwatch.StartNew();
        int idleChecks = 0;
        while (!stop.IsCancellationRequested && deadline.Elapsed < timeout)
        {
            idleChecks = connections.IsEmpty ? idleChecks + 1 : 0;
            if (idleChecks >= 2) break;
            try
            {
                await Task.Delay(500, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        if (!quiet || !connections.IsEmpty)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pliant serve: drained generation {group.Membership.Generation}: {(connections.IsEmpty ? "no connection left" : $"{connections.Count} connection(s) still open after {timeout.TotalSeconds:0} s, closing them")}; misdirected datagrams dropped: {group.Membership.Missteered}"));
        stop.Cancel();
    }

    /// <summary>
    /// Serves one connection's requests until it closes or <paramref name="ct"/> (stop) fires. <paramref name="goAway"/>
    /// (--reuseport drain) shuts it down gracefully: GOAWAY, requests in progress finish and are acknowledged, then
    /// H3_NO_ERROR; so clients move to the newest generation instead of holding this process up to the drain timeout.
    /// </summary>
    private static async Task ServeConnectionAsync(QuicConnection conn, StaticFileHandler files, bool quiet, CancellationToken goAway, CancellationToken ct)
    {
        var remote = conn.RemoteEndPoint;
        try
        {
            await using (conn.ConfigureAwait(false))
            {
                if (!quiet)
                {
                    var (version, suite, resumed, early) = ConnectionInfo.Read(conn);
                    Console.WriteLine($"{remote} connected version={CliSupport.VersionName(version)} cipher={CliSupport.SuiteName(suite)} resumed={(resumed ? "yes" : "no")} early_data={(early ? "accepted" : "no")}");
                }
                var server = new Http3ServerConnection(new H3Adapter(conn), async (req, resp, rct) =>
                {
                    var sw = Stopwatch.StartNew();
                    var status = 500;
                    try
                    {
                        await files.HandleAsync(req, resp, rct).ConfigureAwait(false);
                        status = resp.StatusCode;
                    }
                    finally
                    {
                        if (!quiet)
                        {
                            var length = resp.Headers.FirstOrDefault(h => h.Name == "content-length").Value ?? "-";
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"{remote} {req.Method} {req.Path} {status} {length} {sw.Elapsed.TotalMilliseconds:0.0}ms stream={req.StreamId}{(req.IsEarlyData ? " early" : "")}"));
                        }
                    }
                }, H3Options);
                using var reg = ct.Register(() => _ = server.ShutdownAsync(CancellationToken.None));
                using var drainReg = goAway.Register(() =>
                {
                    if (!quiet) Console.WriteLine($"{remote} draining: GOAWAY, closing once its requests are answered and acknowledged");
                    _ = server.ShutdownAsync(ct);
                });
                try
                {
                    await server.RunAsync(ct).ConfigureAwait(false);
                }
                finally
                {
                    // Also when serve is stopping (RunAsync then ends in cancellation).
                    if (!quiet) Console.WriteLine($"{remote} {ConnectionInfo.QpackSummary(server)}");
                }
                if (!quiet && server.TooEarlyResponses > 0)
                    Console.WriteLine($"{remote} 425 Too Early: {server.TooEarlyResponses} request(s) in 0-RTT with a method other than GET/HEAD");
            }
        }
        catch (Exception ex) when (ex is QuicException or IOException or Http3Exception or OperationCanceledException or ObjectDisposedException)
        {
            if (!quiet && ex is not OperationCanceledException) Console.Error.WriteLine($"{remote} closed: {ex.Message}");
        }
    }
}
