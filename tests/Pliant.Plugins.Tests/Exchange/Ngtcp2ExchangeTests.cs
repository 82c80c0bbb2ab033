using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Pliant.Plugins.Exchange;
using Pliant.Plugins.Trust;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Tls;

namespace Pliant.Plugins.Tests.Exchange;

/// <summary>
/// A Pliant client with plugin exchange on (pushing, accepting pushes) against ngtcp2's gtlsserver
/// over loopback: the unknown transport parameters are ignored, no PLUGIN frame is sent, and the
/// connection behaves as without exchange. Skipped (passes vacuously) when gtlsserver is not installed.
/// </summary>
[Trait("Category", "Interop")]
public sealed class Ngtcp2ExchangeTests
{
    private static string? FindServer()
    {
        foreach (var d in new[] { "/usr/sbin", "/usr/bin", "/usr/local/bin" })
            if (File.Exists(Path.Combine(d, "gtlsserver"))) return Path.Combine(d, "gtlsserver");
        return null;
    }

    [Fact]
    public void Ngtcp2ServerIgnoresTheExchangeAndTheConnectionIsUnchanged()
    {
        string? gtlsserver = FindServer();
        if (gtlsserver is null) return;
        string dir = Directory.CreateTempSubdirectory("pliant-exchange-ngtcp2-").FullName;
        using var cert = SimulationSetup.MakeCertificate(rsa: false);
        File.WriteAllText(Path.Combine(dir, "cert.pem"), cert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "key.pem"), cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        Directory.CreateDirectory(Path.Combine(dir, "htdocs"));
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        var psi = new ProcessStartInfo(gtlsserver)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        foreach (var a in new[] { "--no-quic-dump", "--no-http-dump", "-d", Path.Combine(dir, "htdocs"), "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture), Path.Combine(dir, "key.pem"), Path.Combine(dir, "cert.pem") })
            psi.ArgumentList.Add(a);
        using var server = Process.Start(psi)!;
        var log = new StringBuilder();
        server.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            var module = TestModules.Observer();
            var exchange = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) }.AddPush(module);
            var endpoint = new QuicEndpointCore(new QuicEndpointOptions { Random = new Random(7) });
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var remote = new IPEndPoint(IPAddress.Loopback, port);
            var clock = Stopwatch.StartNew();
            long Now() => 1_000_000 + clock.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;
            Thread.Sleep(300); // let gtlsserver bind; a lost first Initial is retransmitted anyway
            var conn = endpoint.Connect(Now(), new QuicConnectionOptions
            {
                Client = new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure, ApplicationProtocols = ["h3"] },
                Random = new Random(8),
                ExtraTransportParameters = exchange.BuildTransportParameters(),
            }, remote);
            var pluginExchange = PluginExchange.Attach(conn, exchange);
            var events = new List<ConnectionEvent>();
            long? connectedAt = null;
            var buf = new byte[65536];
            var rx = new byte[65536];
            while (Now() < 10_000_000 && !conn.IsClosed)
            {
                while (endpoint.PollTransmit(Now(), buf, 1, out var t)) socket.SendTo(buf.AsSpan(0, t.Length), SocketFlags.None, t.Destination);
                while (conn.TryPollEvent(out var e)) events.Add(e);
                if (conn.IsConnected) connectedAt ??= Now();
                if (connectedAt is { } c && Now() - c > 1_000_000) break; // a second of connected life
                long wait = Math.Clamp(((endpoint.PollTimeout() ?? Now() + 50_000) - Now()) / 1000, 0, 50);
                if (socket.Poll((int)wait * 1000, SelectMode.SelectRead))
                {
                    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    int n = socket.ReceiveFrom(rx, ref from);
                    endpoint.HandleDatagram(Now(), rx.AsSpan(0, n), (IPEndPoint)from, EcnCodepoint.NotEct);
                }
                endpoint.HandleTimeout(Now());
            }
            Assert.NotNull(connectedAt);
            Assert.False(conn.IsClosed, $"closed: {conn.CloseInfo}");
            Assert.False(pluginExchange.PeerAcceptsPushes);
            Assert.Empty(pluginExchange.Pushing);
            Assert.Equal(0, pluginExchange.BytesSent);
            Assert.DoesNotContain(events, e => e.Kind is ConnectionEventKind.Plugin or ConnectionEventKind.Closed);
            conn.Close(Now(), 0, "done");
            while (endpoint.PollTransmit(Now(), buf, 1, out var t)) socket.SendTo(buf.AsSpan(0, t.Length), SocketFlags.None, t.Destination);
            Thread.Sleep(200);
            server.Kill();
            server.WaitForExit(); // also drains the output readers
            lock (log) Assert.Contains("QUIC handshake has completed", log.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!server.HasExited) server.Kill();
            server.WaitForExit();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
