using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Pliant.Net;
using Pliant.Net.Udp;
using Pliant.Quic.Connection;
using Pliant.Quic.Tls;

namespace Pliant.Cli;

/// <summary>
/// The processes <c>pliant bench</c> starts: a raw-QUIC bench server and client (one bidirectional
/// stream: the client sends the size as 8 bytes big-endian and FIN, the server answers with that many
/// bytes of a pre-filled buffer and FIN), and a handshake loop. Each reports on stdout as key=value.
/// </summary>
internal static class BenchPeers
{
    public const string Alpn = "pliant-bench";
    private const int ChunkSize = 1 << 20;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Environment variable naming the plugin (.wasm) both peers attach to every connection.</summary>
    internal const string PluginVariable = "PLIANT_BENCH_PLUGIN";

    /// <summary>Environment variable naming the peers' congestion controller (cubic, newreno, bbr).</summary>
    internal const string CcVariable = "PLIANT_BENCH_CC";

    /// <summary>
    /// Hands <c>--plugin</c>/<c>--cc</c> to the peer processes through their environment; returns an exit
    /// code on a usage error, null to go on.
    /// </summary>
    public static int? WithPeerSettings(string? plugin, string? cc)
    {
        if (plugin is not null)
        {
            if (!File.Exists(plugin)) { Console.Error.WriteLine($"pliant bench: no such plugin: {plugin}"); return ExitCodes.Usage; }
            Environment.SetEnvironmentVariable(PluginVariable, Path.GetFullPath(plugin));
            Console.WriteLine($"# plugin on both peers: {Path.GetFileName(plugin)}");
        }
        if (cc is not null)
        {
            Environment.SetEnvironmentVariable(CcVariable, cc);
            Console.WriteLine($"# congestion control: {cc}");
        }
        return null;
    }

    private static CongestionControlAlgorithm? PeerCongestionControl() => CongestionControl(Environment.GetEnvironmentVariable(CcVariable));

    private static CongestionControlAlgorithm? CongestionControl(string? name) => CliSupport.ParseCongestionControl(name);

    /// <summary>The plugin the parent asked for, attached to every connection of this peer.</summary>
    private static Action<QuicConnectionCore>? PeerPlugin() => PluginAttacher(Environment.GetEnvironmentVariable(PluginVariable));

    /// <summary>
    /// Loads (and compiles) the plugins at <paramref name="paths"/> (comma-separated) once; the result attaches them all
    /// to a connection.
    /// </summary>
    private static Action<QuicConnectionCore>? PluginAttacher(string? paths)
    {
        if (string.IsNullOrEmpty(paths)) return null;
        var modules = paths.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => Pliant.Plugins.PluginModule.Load(File.ReadAllBytes(p))).ToArray();
        var host = new Pliant.Plugins.PluginHost();
        return core =>
        {
            long t0 = Stopwatch.GetTimestamp();
            foreach (var module in modules)
            {
                var instance = host.Attach(core, module, Pliant.Plugins.PluginOrigin.Application);
                PluginUsage.Track(instance, Stopwatch.GetElapsedTime(t0));
                t0 = Stopwatch.GetTimestamp();
            }
        };
    }

    /// <summary>What the plugins of this process have cost (every instance it attached), for the result lines.</summary>
    private static class PluginUsage
    {
        private static readonly Lock Gate = new();
        private static readonly List<Pliant.Plugins.PluginInstance> Instances = [];
        private static TimeSpan s_attach;

        public static void Track(Pliant.Plugins.PluginInstance instance, TimeSpan attach)
        {
            lock (Gate)
            {
                Instances.Add(instance);
                s_attach += attach;
            }
        }

        /// <summary>Calls, time inside (µs), fuel and attach time (µs) so far, summed over all instances.</summary>
        public static (long Calls, double InsideUs, long Fuel, double AttachUs) Total()
        {
            lock (Gate)
            {
                var sum = default(Pliant.Plugins.PluginUsage);
                foreach (var i in Instances) sum += i.Usage;
                return (sum.Calls, sum.TimeInside.TotalMicroseconds, sum.Fuel, s_attach.TotalMicroseconds);
            }
        }

        /// <summary><c>plugin_calls= plugin_us= plugin_fuel= plugin_attach_us=</c> since <paramref name="from"/>.</summary>
        public static string Since((long Calls, double InsideUs, long Fuel, double AttachUs) from)
        {
            var now = Total();
            return string.Create(Inv,
                $"plugin_calls={now.Calls - from.Calls} plugin_us={now.InsideUs - from.InsideUs:F0} plugin_fuel={now.Fuel - from.Fuel} plugin_attach_us={now.AttachUs - from.AttachUs:F0}");
        }
    }

    /// <summary>
    /// One configuration of a shared bench process (<c>--listen</c> / <c>--target</c>):
    /// <c>KEY:CC:PLUGIN</c>, where CC is cubic, newreno or bbr and PLUGIN a .wasm path, several separated by commas, or empty.
    /// </summary>
    internal readonly record struct PeerConfig(string Key, CongestionControlAlgorithm? Cc, Action<QuicConnectionCore>? Plugin)
    {
        public static PeerConfig Parse(string spec)
        {
            var parts = spec.Split(':', 3);
            if (parts.Length != 3 || parts[0].Length == 0)
                throw new ArgumentException($"bench: '{spec}' is not KEY:CC:PLUGIN");
            return new(parts[0], CongestionControl(parts[1]), PluginAttacher(parts[2]));
        }

        /// <summary>The spec string for a child process's command line.</summary>
        public static string Format(string key, string cc, string? plugin) => $"{key}:{cc}:{plugin}";
    }
    /// <summary>BBR's path model at the end of a download (state, bandwidth, min RTT, ProbeRTTs, in-flight bound); empty for other controllers.</summary>
    private static string BbrFigures(Pliant.Quic.Recovery.ICongestionController cc) => cc is Pliant.Quic.Recovery.Bbr b
        ? string.Create(Inv, $" bbr_state={b.State} bbr_max_bw_mbit={b.MaxBw * 8 / 1e6:F1} bbr_bw_mbit={b.Bw * 8 / 1e6:F1} bbr_min_rtt_us={b.MinRttUs} bbr_probe_rtt={b.ProbeRttCount} bbr_startup_exit={(b.StartupExitOnLoss is true ? "loss" : "plateau")}@{b.StartupExitBw * 8 / 1e6:F1} bbr_inflight_longterm={(double.IsFinite(b.InflightLongterm) ? b.InflightLongterm.ToString("F0", Inv) : "inf")}")
        : "";

    private static BenchAllocProfiler? s_profiler;

    /// <summary>Serves until stdin closes; prints <c>listening port= fingerprint=</c>, then one <c>xfer</c> line per download.</summary>
    /// <remarks>
    /// With <paramref name="listens"/> (<c>KEY:CC:PLUGIN</c> each) the process serves one listener per
    /// configuration, each on its own ephemeral port with its own controller and plugin, and prints a
    /// <c>listening key=</c> line for each: <c>bench --isolation</c> compares configurations inside the
    /// same processes. Without, one listener on <paramref name="port"/> configured from the environment.
    /// </remarks>
    public static async Task<int> RunServerAsync(int port, IReadOnlyList<string> listens, CancellationToken ct)
    {
        using var profiler = BenchAllocProfiler.StartIfRequested("server");
        using var cert = QuicServerCertificates.CreateSelfSigned("localhost");
        var payload = GC.AllocateUninitializedArray<byte>(ChunkSize, pinned: true);
        new Random(42).NextBytes(payload);
        var configs = listens.Count == 0
            ? [new PeerConfig("", PeerCongestionControl(), PeerPlugin())]
            : listens.Select(PeerConfig.Parse).ToArray();
        var listeners = new List<QuicListener>();
        try
        {
            foreach (var c in configs)
            {
                var listener = await QuicListener.ListenAsync(new QuicListenerOptions
                {
                    ListenEndPoint = new IPEndPoint(IPAddress.Loopback, listens.Count == 0 ? port : 0),
                    ApplicationProtocols = [Alpn],
                    ServerCertificate = cert,
                    ListenBacklog = 4096,
                    ConnectionOptions = new QuicServerConnectionOptions
                    {
                        IdleTimeout = TimeSpan.FromSeconds(10),
                        ConfigureCore = c.Plugin,
                        CongestionControl = c.Cc,
                    },
                }, ct).ConfigureAwait(false);
                listeners.Add(listener);
                string key = c.Key.Length == 0 ? "" : " key=" + c.Key;
                Console.WriteLine(string.Create(Inv, $"listening{key} port={listener.LocalEndPoint.Port} fingerprint={QuicServerCertificates.Sha256Fingerprint(cert)} pid={Environment.ProcessId}"));
            }
            Console.Out.Flush();

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // A dedicated thread for the blocking read (not one of the pool's, which a 2-core machine has two of).
            var stdin = Task.Factory.StartNew(() =>
            {
                try { Console.In.ReadToEnd(); } catch (IOException) { }
                stop.Cancel();
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var output = new Lock();
            s_profiler = profiler;
            await Task.WhenAll(listeners.Select(l => AcceptLoopAsync(l, payload, output, stop.Token))).ConfigureAwait(false);
        }
        finally
        {
            foreach (var l in listeners) await l.DisposeAsync().ConfigureAwait(false);
        }
        Console.WriteLine(string.Create(Inv, $"exit proc_cpu_s={Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F3}"));
        return 0;
    }

    private static async Task AcceptLoopAsync(QuicListener listener, byte[] payload, Lock output, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var connection = await listener.AcceptConnectionAsync(stop).ConfigureAwait(false);
                _ = Task.Run(() => ServeConnectionAsync(connection, payload, output, stop), CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task ServeConnectionAsync(QuicConnection connection, byte[] payload, Lock output, CancellationToken ct)
    {
        await using var owned = connection.ConfigureAwait(false);
        try
        {
            while (true)
            {
                var stream = await connection.AcceptInboundStreamAsync(ct).ConfigureAwait(false);
                _ = Task.Run(() => ServeStreamAsync(connection, stream, payload, output, ct), CancellationToken.None);
            }
        }
        catch (Exception e) when (e is QuicException or OperationCanceledException or ObjectDisposedException)
        {
            // Client went away (handshake loop) or we are stopping.
        }
    }

    /// <summary>Why the sender waited (cumulative for the connection), and its window and RTT at the end.</summary>
    private static string SenderState(QuicConnection connection)
    {
        try
        {
            var st = connection.Statistics;
            return st is null ? "" : string.Create(Inv,
                $"cc_limited={st.CongestionLimited} pacing_limited={st.PacingLimited} lost={st.PacketsLost} pto={st.PtoCount} " +
                $"cwnd={connection.RunOnCore(c => c.CongestionWindow)} srtt_us={connection.RunOnCore(c => c.SmoothedRttUs)}") +
                connection.RunOnCore(c => BbrFigures(c.NativeCongestionController));
        }
        catch (Exception e) when (e is ObjectDisposedException or QuicException)
        {
            return ""; // already closed
        }
    }

    private static async Task ServeStreamAsync(QuicConnection connection, QuicStream stream, byte[] payload, Lock output, CancellationToken ct)
    {
        await using var ownedStream = stream.ConfigureAwait(false);
        try
        {
            var request = new byte[8];
            int got = 0;
            while (got < 8)
            {
                int n = await stream.ReadAsync(request.AsMemory(got), ct).ConfigureAwait(false);
                if (n == 0) return;
                got += n;
            }
            long size = BinaryPrimitives.ReadInt64BigEndian(request);
            var counters = connection.Driver.Counters;
            if (s_profiler is { } p) p.Arm();
            var snap = Snapshot.Take(counters);
            var plugins = PluginUsage.Total();
            var sw = Stopwatch.StartNew();
            long left = size;
            while (left > 0)
            {
                int n = (int)Math.Min(left, payload.Length);
                left -= n;
                await stream.WriteAsync(payload.AsMemory(0, n), completeWrites: left == 0, ct).ConfigureAwait(false);
            }
            if (size == 0) stream.CompleteWrites();
            double writeS = sw.Elapsed.TotalSeconds;
            string sender = SenderState(connection); // before the client closes the connection
            try
            {
                await stream.WritesClosed.WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is QuicException or TimeoutException)
            {
                // The client closes the connection once it has the last byte; the final ACK may not arrive.
            }
            var end = Snapshot.Take(counters);
            s_profiler?.Write();
            lock (output)
            {
                Console.WriteLine(string.Create(Inv,
                    $"xfer bytes={size} write_s={writeS:F3} total_s={sw.Elapsed.TotalSeconds:F3} {end.Minus(snap)} {sender} {PluginUsage.Since(plugins)} " +
                    $"proc_cpu_s={Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F6}"));
                Console.Out.Flush();
            }
        }
        catch (Exception e) when (e is QuicException or OperationCanceledException or ObjectDisposedException)
        {
            lock (output) Console.WriteLine("xfer_failed " + e.GetType().Name + ": " + e.Message.ReplaceLineEndings(" "));
        }
    }

    /// <summary>One measured download; prints a <c>result</c> line.</summary>
    public static async Task<int> RunClientAsync(int port, long size, string? pin, CancellationToken ct)
    {
        using var profiler = BenchAllocProfiler.StartIfRequested("client");
        var buffer = GC.AllocateUninitializedArray<byte>(256 << 10, pinned: true);
        // The plugin module is loaded and compiled once per process (the server did it before listening):
        // outside the connect..last byte figures; attaching it to the connection stays inside.
        _ = s_clientPlugin.Value;
        var (line, ok) = await MeasureDownloadAsync(ClientOptions(port, pin), size, buffer, profiler, ct).ConfigureAwait(false);
        Console.WriteLine("result " + line);
        return ok ? 0 : 1;
    }

    /// <summary>
    /// One measured download on a new connection: the <c>result</c> figures (connect..last byte wall and
    /// process CPU, counters, allocation) as <c>key=value</c> pairs, and whether every byte arrived.
    /// </summary>
    private static async Task<(string Line, bool Ok)> MeasureDownloadAsync(QuicClientConnectionOptions options, long size, byte[] buffer,
        BenchAllocProfiler? profiler, CancellationToken ct)
    {
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var plugins = PluginUsage.Total();
        var sw = Stopwatch.StartNew();
        await using var connection = await QuicConnection.ConnectAsync(options, ct).ConfigureAwait(false);
        double handshakeS = sw.Elapsed.TotalSeconds;
        var counters = connection.Driver.Counters;
        profiler?.Arm();
        var snap = Snapshot.Take(counters);
        long received = 0;
        long firstByteTicks = 0;
        // Steady state: from a quarter of the transfer on, once the receive-chunk pool has grown to the
        // flow-control window and the JIT has settled (issue 5 asks for allocation "in steady state").
        long steadyFrom = size / 4, steadyBytes0 = -1, steadyAlloc0 = 0;
        await using (var stream = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct).ConfigureAwait(false))
        {
            var request = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(request, size);
            await stream.WriteAsync(request, completeWrites: true, ct).ConfigureAwait(false);
            while (true)
            {
                int n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0) break;
                if (received == 0) firstByteTicks = sw.ElapsedTicks;
                received += n;
                if (steadyBytes0 < 0 && received >= steadyFrom)
                {
                    steadyBytes0 = received;
                    steadyAlloc0 = GC.GetTotalAllocatedBytes(true);
                }
            }
        }
        double wallS = sw.Elapsed.TotalSeconds;
        var end = Snapshot.Take(counters);
        profiler?.Write();
        var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
        string pluginUsage = PluginUsage.Since(plugins);
        double firstByteS = (double)firstByteTicks / Stopwatch.Frequency;
        await connection.CloseAsync(0, ct).ConfigureAwait(false);
        string line = string.Create(Inv,
            $"bytes={received} ok={(received == size ? 1 : 0)} handshake_s={handshakeS:F4} first_byte_s={firstByteS:F4} wall_s={wallS:F4} " +
            $"cpu_s={(cpu1 - cpu0).TotalSeconds:F6} {end.Minus(snap)} proc_cpu_s={Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F3} " +
            $"jit_s={System.Runtime.JitInfo.GetCompilationTime().TotalSeconds:F3} jit_methods={System.Runtime.JitInfo.GetCompiledMethodCount()} " +
            $"steady_bytes={(steadyBytes0 < 0 ? 0 : received - steadyBytes0)} steady_alloc={(steadyBytes0 < 0 ? 0 : end.Alloc - steadyAlloc0)} " +
            $"{pluginUsage}");
        return (line, received == size);
    }

    /// <summary>
    /// A client process for several configurations (<c>bench --isolation</c>): each <paramref name="targets"/>
    /// entry is <c>KEY:PORT:CC:PLUGIN</c>; every stdin line <c>get KEY BYTES</c> runs one measured download
    /// on a new connection with that configuration and prints <c>result key=KEY …</c>. Ends with its input.
    /// </summary>
    public static async Task<int> RunClientLoopAsync(string? pin, IReadOnlyList<string> targets, CancellationToken ct)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(256 << 10, pinned: true);
        var byKey = new Dictionary<string, QuicClientConnectionOptions>(StringComparer.Ordinal);
        foreach (var t in targets)
        {
            var parts = t.Split(':', 3);
            if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, Inv, out int port))
                throw new ArgumentException($"bench: '{t}' is not KEY:PORT:CC:PLUGIN");
            var c = PeerConfig.Parse($"{parts[0]}:{parts[2]}");
            byKey[c.Key] = ClientOptions(port, pin, c.Plugin, c.Cc);
        }
        Console.WriteLine("ready");
        Console.Out.Flush();
        while (await Console.In.ReadLineAsync(ct).ConfigureAwait(false) is { } command)
        {
            var w = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (w.Length != 3 || w[0] != "get" || !byKey.TryGetValue(w[1], out var options) || !long.TryParse(w[2], NumberStyles.None, Inv, out long size))
            {
                Console.WriteLine("result ok=0 error=bad-command");
                Console.Out.Flush();
                continue;
            }
            string line;
            // Every download starts from a collected heap: garbage of the previous one must not be paid for in this one.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            try
            {
                (line, _) = await MeasureDownloadAsync(options, size, buffer, null, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is QuicException or IOException)
            {
                line = "ok=0 error=" + e.GetType().Name;
            }
            Console.WriteLine($"result key={w[1]} {line}");
            Console.Out.Flush();
        }
        return 0;
    }

    /// <summary>
    /// Opens and closes connections back to back: for <paramref name="warmupSeconds"/> (the server's JIT tiers its
    /// handshake path up over its first few thousand connections), then prints <c>warm</c>, then for
    /// <paramref name="seconds"/> with a <c>tick</c> line each second, then a <c>handshakes</c> line.
    /// </summary>
    public static async Task<int> RunHandshakesAsync(int port, double seconds, double warmupSeconds, string? pin, CancellationToken ct)
    {
        var options = ClientOptions(port, pin);
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 3 || warm.Elapsed.TotalSeconds < warmupSeconds; i++)
        {
            await using var c = await QuicConnection.ConnectAsync(options, ct).ConfigureAwait(false);
            await c.CloseAsync(0, ct).ConfigureAwait(false);
        }
        Console.WriteLine("warm");
        Console.Out.Flush();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long alloc0 = GC.GetTotalAllocatedBytes(true);
        var sw = Stopwatch.StartNew();
        int count = 0, failed = 0, nextTick = 1;
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            try
            {
                await using var c = await QuicConnection.ConnectAsync(options, ct).ConfigureAwait(false);
                await c.CloseAsync(0, ct).ConfigureAwait(false);
                count++;
            }
            catch (QuicException)
            {
                failed++;
            }
            if (sw.Elapsed.TotalSeconds >= nextTick)
            {
                Console.WriteLine(string.Create(Inv, $"tick n={count}"));
                Console.Out.Flush();
                nextTick++;
            }
        }
        double wall = sw.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        Console.WriteLine(string.Create(Inv,
            $"handshakes n={count} failed={failed} wall_s={wall:F3} cpu_s={cpu.TotalSeconds:F3} alloc={GC.GetTotalAllocatedBytes(true) - alloc0}"));
        return 0;
    }

    private static QuicClientConnectionOptions ClientOptions(int port, string? pin) =>
        ClientOptions(port, pin, s_clientPlugin.Value, PeerCongestionControl());

    private static QuicClientConnectionOptions ClientOptions(int port, string? pin, Action<QuicConnectionCore>? plugin,
        CongestionControlAlgorithm? cc) => new()
    {
        RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, port),
        ServerName = "localhost",
        ApplicationProtocols = [Alpn],
        CertificateValidation = pin is null ? CertificateValidation.Insecure : CertificateValidation.Pin(Convert.FromHexString(pin)),
        IdleTimeout = TimeSpan.FromSeconds(10),
        ConfigureCore = plugin,
        CongestionControl = cc,
    };

    private static readonly Lazy<Action<QuicConnectionCore>?> s_clientPlugin = new(PeerPlugin);

    /// <summary>Allocation and UDP counters at one moment.</summary>
    private readonly record struct Snapshot(long Alloc, long Sent, long SendCalls, long Received, long ReceiveCalls, long SendErrors, int Gen0, int Gen1, int Gen2)
    {
        public static Snapshot Take(UdpCounters c) => new(GC.GetTotalAllocatedBytes(true), c.DatagramsSent, c.SendSyscalls,
            c.DatagramsReceived, c.ReceiveSyscalls, c.SendErrors, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

        public string Minus(Snapshot s) => string.Create(Inv,
            $"alloc={Alloc - s.Alloc} dgram_sent={Sent - s.Sent} send_calls={SendCalls - s.SendCalls} " +
            $"dgram_recv={Received - s.Received} recv_calls={ReceiveCalls - s.ReceiveCalls} send_errors={SendErrors - s.SendErrors} " +
            $"gc0={Gen0 - s.Gen0} gc1={Gen1 - s.Gen1} gc2={Gen2 - s.Gen2}");
    }
}
