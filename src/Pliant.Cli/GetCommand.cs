using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Pliant.Http3;
using Pliant.Net;
using Pliant.Quic.Connection;
using Pliant.Quic.Tls;
using Spectre.Console;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant get URL... [-o FILE|DIR] [--insecure | --pin SHA256] [--ciphers LIST] [--groups LIST]
/// [--version v1|v2|0xHEX] [--session FILE] [--key-update] [--connect ADDR[:PORT]] [--pad-hello BYTES] [--quiet]</c>: HTTP/3 download. Several URLs
/// share one connection and run on concurrent streams. Exit codes: 0 ok, 1 HTTP/transfer error,
/// 2 usage, 3 connection/TLS failure.
/// </summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var urls = new Argument<string[]>("URL") { Description = "https:// URLs (one connection; several URLs → concurrent streams)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "Save the body to FILE (one URL) or into DIR (several URLs, or an existing directory). Without it the body is counted and discarded." };
        var insecure = new Option<bool>("--insecure", "-k")
        {
            Description = "Do not verify the server certificate (prints a warning: anyone on the path can impersonate the server). " +
                          "Session tickets saved under --insecure resume only later --insecure runs",
        };
        var pin = new Option<string?>("--pin") { Description = "Accept only the certificate whose SHA-256 (hex, of its DER) is this" };
        var ciphers = new Option<string?>("--ciphers") { Description = "TLS 1.3 cipher suites, comma-separated (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256)" };
        var groups = new Option<string?>("--groups") { Description = "Key exchange groups, comma-separated (x25519, p256)" };
        var version = new Option<string?>("--version") { Description = "v1, or v2 (start in v1, upgrade by compatible version negotiation), or a hex version" };
        var session = new Option<string?>("--session")
        {
            Description = "Load a session ticket from FILE (resumption + 0-RTT) and save the newest one back. The file holds a secret: " +
                          "it is written owner-only (0600); a file other users can access is not used, nor one saved under a different " +
                          "certificate check (--insecure, --pin, system roots). GET requests may go in 0-RTT; one the server answers " +
                          "425 Too Early is sent again after the handshake",
        };
        var keyUpdate = new Option<bool>("--key-update") { Description = "Initiate a key update during the download" };
        var migrate = new Option<bool>("--migrate") { Description = "Move to a new local port mid-download and migrate the connection (new connection ID, path validation)" };
        var rebind = new Option<bool>("--rebind") { Description = "Move to a new local port mid-download without telling QUIC, like a NAT rebinding" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only the summary line and errors" };
        var connectTimeout = new Option<double>("--connect-timeout") { Description = "Seconds to wait for the handshake", DefaultValueFactory = _ => 10 };
        var cc = new Option<string?>("--cc") { Description = "Congestion controller of this client's sending side: cubic (default), newreno or bbr (BBRv3)" };
        cc.AcceptOnlyFromAmong([.. CliSupport.CongestionControlNames, "reno"]);
        var idleTimeout = new Option<double>("--idle-timeout") { Description = "Seconds without any packet before the connection is given up (max_idle_timeout, RFC 9000 §10.1)", DefaultValueFactory = _ => 30 };
        var connect = new Option<string?>("--connect")
        {
            Description = "Connect to this IP address (ADDR or ADDR:PORT; the port defaults to the URL's) instead of resolving the URL's host; " +
                          "the URL's host is still sent in SNI and :authority and checked against the certificate (e.g. through pliant route)",
        };
        var padHello = new Option<int>("--pad-hello")
        {
            Description = $"Add a TLS padding extension of this many bytes (0 to {TlsClientOptions.MaxClientHelloPadding}) to the ClientHello; " +
                          "about 1200 or more makes it span two or more Initial packets, like large post-quantum key shares",
        };

        var qlog = new Option<string?>("--qlog") { Description = "Write a qlog of the connection (JSON-SEQ ODCID_client.sqlog, or .pqlog with --qlog-format binary) into DIR; default: the QLOGDIR environment variable" };
        var qlogFormat = CliSupport.QlogFormatOption();
        var multipath = new Option<bool>("--multipath")
        {
            Description = "Offer multipath QUIC (draft-ietf-quic-multipath-21; the server needs it too, pliant serve --multipath) and open a path " +
                          "from each --bind address after the first; prints one line per path at the end",
        };
        var bind = new Option<string?>("--bind")
        {
            Description = "Local addresses, comma-separated: LOCAL[=REMOTE]. The first is path 0's (the connection's own socket); with --multipath " +
                          "each further one opens a path from LOCAL (port optional) to REMOTE (ADDR:PORT; default: the server's address)",
        };
        var scheduler = new Option<string>("--scheduler") { Description = "With --multipath: how packets are spread over the paths: lowest-rtt or round-robin", DefaultValueFactory = _ => "lowest-rtt" };
        scheduler.AcceptOnlyFromAmong("lowest-rtt", "round-robin");

        var cmd = new Command("get", "Download over HTTP/3");
        cmd.Arguments.Add(urls);
        foreach (var o in new Option[] { output, insecure, pin, ciphers, groups, version, session, keyUpdate, migrate, rebind, quiet, connectTimeout, idleTimeout, connect, padHello, cc, qlog, qlogFormat, multipath, bind, scheduler }) cmd.Options.Add(o);
        var pluginOptions = PluginCliOptions.AddTo(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            PluginSetup plugins;
            try
            {
                plugins = PluginCliOptions.Build(pr, pluginOptions);
            }
            catch (CliException ex)
            {
                Console.Error.WriteLine("pliant get: " + ex.Message);
                return ex.Code;
            }
            var opts = new GetOptions(pr.GetValue(urls) ?? [], pr.GetValue(output), pr.GetValue(insecure), pr.GetValue(pin), pr.GetValue(ciphers),
                pr.GetValue(groups), pr.GetValue(version), pr.GetValue(session), pr.GetValue(keyUpdate), pr.GetValue(quiet), pr.GetValue(connectTimeout))
            {
                Plugins = plugins,
                PathChange = pr.GetValue(migrate) ? PathChange.Migrate : pr.GetValue(rebind) ? PathChange.Rebind : PathChange.None,
                IdleTimeoutSeconds = pr.GetValue(idleTimeout),
                CongestionControl = CliSupport.ParseCongestionControl(pr.GetValue(cc)),
                Connect = pr.GetValue(connect),
                ClientHelloPadding = pr.GetValue(padHello),
                QlogDirectory = pr.GetValue(qlog),
                QlogFormat = CliSupport.ParseQlogFormat(pr.GetValue(qlogFormat)),
                Multipath = pr.GetValue(multipath),
                Bind = pr.GetValue(bind),
                Scheduler = pr.GetValue(scheduler) == "round-robin" ? PathSchedulerKind.RoundRobin : PathSchedulerKind.LowestRtt,
            };
            return await RunAsync(opts, ct).ConfigureAwait(false);
        });
        return cmd;
    }

    internal sealed record GetOptions(string[] Urls, string? Output, bool Insecure, string? Pin, string? Ciphers, string? Groups,
        string? Version, string? Session, bool KeyUpdate, bool Quiet, double ConnectTimeoutSeconds = 10)
    {
        /// <summary><c>--idle-timeout</c>: max_idle_timeout in seconds (RFC 9000 §10.1).</summary>
        public double IdleTimeoutSeconds { get; init; } = 30;

        /// <summary><c>--cc</c>: the connection's congestion controller (null: the default).</summary>
        public CongestionControlAlgorithm? CongestionControl { get; init; }

        /// <summary><c>--qlog</c>: directory for the connection's qlog (null: QLOGDIR, else none).</summary>
        public string? QlogDirectory { get; init; }

        /// <summary><c>--qlog-format</c>: the qlog's format (null: QLOGFORMAT, else JSON-SEQ).</summary>
        public Pliant.Quic.Diagnostics.QlogFormat? QlogFormat { get; init; }

        /// <summary>Plugins to attach, push and trust (<c>--plugin/--push/--trust</c>).</summary>
        public PluginSetup? Plugins { get; init; }

        /// <summary><c>--migrate</c> or <c>--rebind</c>.</summary>
        public PathChange PathChange { get; init; }

        /// <summary><c>--connect</c>: the address to connect to instead of the URL's host (which stays the SNI and :authority).</summary>
        public string? Connect { get; init; }

        /// <summary><c>--pad-hello</c>: bytes of TLS padding in the ClientHello.</summary>
        public int ClientHelloPadding { get; init; }

        /// <summary><c>--multipath</c>: offer multipath and open a path per extra <c>--bind</c> address.</summary>
        public bool Multipath { get; init; }

        /// <summary><c>--bind LOCAL[=REMOTE],…</c>.</summary>
        public string? Bind { get; init; }

        /// <summary><c>--scheduler</c>.</summary>
        public PathSchedulerKind Scheduler { get; init; }
    }

    internal enum PathChange { None, Migrate, Rebind }

    private sealed record Target(Uri Uri, string? SavePath);

    internal static async Task<int> RunAsync(GetOptions o, CancellationToken ct)
    {
        var connected = false;
        try
        {
            var targets = ParseTargets(o);
            var first = targets[0].Uri;
            var validation = o.Insecure ? CertificateValidation.Insecure
                : o.Pin is { } p ? CertificateValidation.Pin(ParsePin(p))
                : CertificateValidation.System;
            if (o.Insecure)
                Console.Error.WriteLine("pliant get: warning: --insecure: the server certificate is not checked; anyone on the path can " +
                                        "impersonate the server and read or change this transfer");
            var (initialVersion, versions) = CliSupport.ParseVersion(o.Version);
            var ticket = SessionFile.Load(o.Session, validation, Console.Error);
            if (o.ClientHelloPadding is < 0 or > TlsClientOptions.MaxClientHelloPadding)
                throw new CliException(ExitCodes.Usage, $"--pad-hello takes 0 to {TlsClientOptions.MaxClientHelloPadding} bytes");
            var remote = o.Connect is { } c
                ? CliSupport.ParseEndPoint(c, first.IsDefaultPort || first.Port <= 0 ? 443 : first.Port)
                : await CliSupport.ResolveAsync(first, ct).ConfigureAwait(false);
            var binds = MultipathCli.ParseBinds(o.Bind);
            if (binds.Count > 1 && !o.Multipath) throw new CliException(ExitCodes.Usage, "more than one --bind address needs --multipath");
            var options = new QuicClientConnectionOptions
            {
                RemoteEndPoint = remote,
                ServerName = first.IdnHost,
                ApplicationProtocols = ["h3"],
                CertificateValidation = validation,
                CipherSuites = CliSupport.ParseCiphers(o.Ciphers),
                Groups = CliSupport.ParseGroups(o.Groups),
                Version = initialVersion,
                Versions = versions,
                ResumptionTicket = ticket,
                EnableEarlyData = ticket is not null,
                ClientHelloPadding = o.ClientHelloPadding,
                // --connect-timeout bounds the handshake (the core's own default would cut it at 10 s).
                HandshakeTimeout = TimeSpan.FromSeconds(o.ConnectTimeoutSeconds > 0 ? o.ConnectTimeoutSeconds : 10),
                IdleTimeout = TimeSpan.FromSeconds(o.IdleTimeoutSeconds > 0 ? o.IdleTimeoutSeconds : 30),
                CongestionControl = o.CongestionControl,
                QlogDirectory = o.QlogDirectory,
                QlogFormat = o.QlogFormat,
                LocalEndPoint = binds.Count > 0 ? binds[0].Local : null,
                MaxPathId = o.Multipath ? MultipathCli.MaxPathId : null,
                PathScheduler = o.Scheduler,
                ExtraTransportParameters = o.Plugins?.TransportParameters ?? [],
                ConfigureCore = o.Plugins is { IsEmpty: false } ps ? core => ps.AttachTo(core) : null,
            };

            var sw = Stopwatch.StartNew();
            QuicConnection connection;
            using (var connectCts = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                connectCts.CancelAfter(TimeSpan.FromSeconds(o.ConnectTimeoutSeconds > 0 ? o.ConnectTimeoutSeconds : 10));
                try
                {
                    connection = await QuicConnection.ConnectAsync(options, connectCts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new CliException(ExitCodes.ConnectionError, $"no handshake with {options.RemoteEndPoint} within {o.ConnectTimeoutSeconds:0.#} s");
                }
            }
            await using var conn = connection;
            var handshake = sw.Elapsed;
            connected = true;
            if (o.Session is { } sessionPath)
            {
                conn.SessionTicketReceived += (_, t) =>
                {
                    try { SessionFile.Save(sessionPath, t, validation); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
                };
            }

            if (o.Multipath) await MultipathCli.OpenPathsAsync(conn, binds, o.Quiet, ct).ConfigureAwait(false);
            var h3 = await Http3ClientConnection.ConnectAsync(new H3Adapter(conn), null, ct).ConfigureAwait(false);
            long total = 0;
            var gaps = new MultipathCli.GapClock();
            var progress = new Progress(o, targets);
            using var keyUpdateCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var keyUpdateTask = o.KeyUpdate ? KeyUpdateLoopAsync(conn, () => Interlocked.Read(ref total), keyUpdateCts.Token) : Task.FromResult(false);
            var pathTask = o.PathChange != PathChange.None ? PathChangeAsync(conn, o.PathChange, () => Interlocked.Read(ref total), keyUpdateCts.Token) : Task.FromResult<string?>(null);

            var failures = new List<string>();
            await progress.RunAsync(async (report, setLength) =>
            {
                var tasks = targets.Select(async (t, i) =>
                {
                    try
                    {
                        var n = await FetchAsync(h3, t, len => setLength(i, len), b => { Interlocked.Add(ref total, b); report(i, b); gaps.Note(); }, ct).ConfigureAwait(false);
                        return (ok: true, msg: "");
                    }
                    catch (CliException ex)
                    {
                        return (ok: false, msg: ex.Message);
                    }
                    catch (Exception ex) when (ex is Http3Exception or IOException or QuicException)
                    {
                        return (ok: false, msg: $"{t.Uri}: {CliSupport.Describe(ex, true).message}");
                    }
                }).ToArray();
                foreach (var r in await Task.WhenAll(tasks).ConfigureAwait(false))
                {
                    if (!r.ok) failures.Add(r.msg);
                }
            }).ConfigureAwait(false);
            var elapsed = sw.Elapsed;

            await keyUpdateCts.CancelAsync().ConfigureAwait(false);
            var keyUpdated = await keyUpdateTask.ConfigureAwait(false);
            var pathChanged = await pathTask.ConfigureAwait(false);
            var (ver, suite, resumed, early) = ConnectionInfo.Read(conn);
            // Give the server a moment to send its session ticket(s) before closing (they follow the handshake).
            if (o.Session is not null && conn.LastSessionTicket is null) await Task.Delay(200, ct).ConfigureAwait(false);
            if (o.Session is { } sp2 && conn.LastSessionTicket is { } last) SessionFile.Save(sp2, last, validation);
            try
            {
                await h3.CloseAsync().WaitAsync(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or IOException or QuicException or Http3Exception)
            {
            }

            if (!o.Quiet)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"quic: version={CliSupport.VersionName(ver)} cipher={CliSupport.SuiteName(suite)} resumed={(resumed ? "yes" : "no")} early_data={(ticket is null ? "none" : early ? "accepted" : "rejected")} too_early_retries={h3.TooEarlyRetries} key_update={(o.KeyUpdate ? keyUpdated ? "done" : "failed" : "no")} handshake_ms={handshake.TotalMilliseconds:0.0} remote={conn.RemoteEndPoint}"));
            }
            if (!o.Quiet) Console.WriteLine(ConnectionInfo.QpackSummary(h3));
            foreach (var e in conn.PluginEventLog) Console.WriteLine($"plugin {e.PluginId}: {e.Message}");
            foreach (var f in failures) Console.Error.WriteLine("pliant get: " + f);
            if (o.Multipath) MultipathCli.PrintPaths(conn, Console.Out);
            var secs = Math.Max(elapsed.TotalSeconds, 1e-6);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bytes={total} time_s={secs:0.000} goodput_mbit={total * 8 / secs / 1e6:0.0}") +
                (o.Multipath ? string.Create(CultureInfo.InvariantCulture, $" max_gap_ms={gaps.MaxGap.TotalMilliseconds:0}") : ""));
            if (o.PathChange != PathChange.None)
            {
                if (pathChanged is null)
                {
                    Console.Error.WriteLine("pliant get: the path change did not happen");
                    return ExitCodes.TransferError;
                }
                if (!o.Quiet) Console.WriteLine($"path: {(o.PathChange == PathChange.Migrate ? "migrated" : "rebound")} to {pathChanged}");
            }
            if (o.KeyUpdate && !keyUpdated)
            {
                Console.Error.WriteLine("pliant get: key update did not happen");
                return ExitCodes.TransferError;
            }
            return failures.Count == 0 ? ExitCodes.Ok : ExitCodes.TransferError;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var (code, message) = CliSupport.Describe(ex, connected);
            Console.Error.WriteLine("pliant get: " + message);
            return code;
        }
    }

    private static List<Target> ParseTargets(GetOptions o)
    {
        if (o.Urls.Length == 0) throw new CliException(ExitCodes.Usage, "no URL");
        var uris = new List<Uri>();
        foreach (var u in o.Urls)
        {
            if (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme != "https")
                throw new CliException(ExitCodes.Usage, $"not an https URL: {u}");
            uris.Add(uri);
        }
        if (uris.Select(u => (u.IdnHost, u.Port)).Distinct().Count() > 1)
            throw new CliException(ExitCodes.Usage, "all URLs must name the same host and port (they share one connection)");
        var asDir = o.Output is { } outp && (uris.Count > 1 || Directory.Exists(outp) || outp.EndsWith('/'));
        if (asDir) Directory.CreateDirectory(o.Output!);
        return uris.Select(u => new Target(u, o.Output is null ? null : asDir ? Path.Combine(o.Output, FileNameOf(u)) : o.Output)).ToList();
    }

    private static string FileNameOf(Uri u)
    {
        var name = Path.GetFileName(Uri.UnescapeDataString(u.AbsolutePath));
        return string.IsNullOrEmpty(name) || name is "." or ".." ? "index.html" : name;
    }

    private static byte[] ParsePin(string hex)
    {
        var h = hex.Replace(":", "", StringComparison.Ordinal).Trim();
        try
        {
            var b = Convert.FromHexString(h);
            if (b.Length == 32) return b;
        }
        catch (FormatException)
        {
        }
        throw new CliException(ExitCodes.Usage, "--pin takes a SHA-256 as 64 hex digits");
    }

    private static async Task<long> FetchAsync(Http3ClientConnection h3, Target t, Action<long> onLength, Action<int> onBytes, CancellationToken ct)
    {
        var request = new Http3Request { Method = "GET", Scheme = "https", Authority = t.Uri.Authority, Path = t.Uri.PathAndQuery };
        using var response = await h3.SendRequestAsync(request, ct).ConfigureAwait(false);
        if (response.Status is < 200 or > 299)
            throw new CliException(ExitCodes.TransferError, $"{t.Uri}: HTTP {response.Status}");
        long? expected = response.GetHeader("content-length") is { } cl && long.TryParse(cl, CultureInfo.InvariantCulture, out var len) ? len : null;
        if (expected is long e) onLength(e);
        Stream? sink = t.SavePath is null ? null : new FileStream(t.SavePath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, useAsync: true);
        long n = 0;
        try
        {
            var buffer = new byte[1 << 16];
            int r;
            while ((r = await response.Content.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                if (sink is not null) await sink.WriteAsync(buffer.AsMemory(0, r), ct).ConfigureAwait(false);
                n += r;
                onBytes(r);
            }
        }
        finally
        {
            if (sink is not null) await sink.DisposeAsync().ConfigureAwait(false);
        }
        if (expected is long want && want != n)
            throw new CliException(ExitCodes.TransferError, $"{t.Uri}: got {n} bytes, content-length {expected}");
        return n;
    }

    /// <summary>Moves to a new local port once a quarter MiB arrived and the handshake is confirmed; returns the new address.</summary>
    private static async Task<string?> PathChangeAsync(QuicConnection conn, PathChange change, Func<long> bytes, CancellationToken ct)
    {
        try
        {
            while (bytes() < 256 * 1024) await Task.Delay(2, ct).ConfigureAwait(false);
            while (true)
            {
                try
                {
                    return (change == PathChange.Migrate ? conn.Migrate() : conn.Rebind()).ToString();
                }
                catch (InvalidOperationException)
                {
                    await Task.Delay(10, ct).ConfigureAwait(false); // handshake not confirmed yet
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Initiates one key update once the handshake is confirmed and data flows (retries until it is allowed).</summary>
    private static async Task<bool> KeyUpdateLoopAsync(QuicConnection conn, Func<long> bytes, CancellationToken ct)
    {
        try
        {
            while (bytes() == 0) await Task.Delay(5, ct).ConfigureAwait(false);
            while (true)
            {
                if (ConnectionInfo.TryKeyUpdate(conn)) return true;
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return ConnectionInfo.TryKeyUpdate(conn);
        }
    }

    /// <summary>
    /// A progress bar per URL with bytes, rate and time left (ETA, once content-length is known) when stdout is
    /// a terminal and not --quiet; otherwise nothing (pipes and logs get only the summary lines).
    /// </summary>
    private sealed class Progress(GetOptions o, List<Target> targets)
    {
        public async Task RunAsync(Func<Action<int, int>, Action<int, long>, Task> body)
        {
            if (o.Quiet || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            {
                await body((_, _) => { }, (_, _) => { }).ConfigureAwait(false);
                return;
            }
            await AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var tasks = targets.Select(t => ctx.AddTask(Markup.Escape(FileNameOf(t.Uri)), maxValue: 1)).ToArray();
                    foreach (var t in tasks) t.IsIndeterminate = true;
                    await body((i, n) => tasks[i].Increment(n), (i, len) =>
                    {
                        tasks[i].IsIndeterminate = false;
                        tasks[i].MaxValue = Math.Max(1, len);
                    }).ConfigureAwait(false);
                    foreach (var t in tasks) { t.MaxValue = Math.Max(1, t.Value); t.StopTask(); }
                }).ConfigureAwait(false);
        }
    }
}
