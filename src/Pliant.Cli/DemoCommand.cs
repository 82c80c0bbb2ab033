using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Pliant.Http3;
using Pliant.Http3.Server;
using Pliant.Net;
using Pliant.Quic.Tls;
using Spectre.Console;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant demo</c>: a server and a client on loopback in one process. Makes a self-signed
/// certificate, serves a random 8 MiB file, downloads it with the certificate pinned, checks its
/// SHA-256 and prints a short report. Exit 0 only if the file verified.
/// </summary>
internal static class DemoCommand
{
    private const int FileSize = 8 * 1024 * 1024;

    public static Command Create()
    {
        var cmd = new Command("demo", "Serve and download a random 8 MiB file over HTTP/3 on loopback, then verify it");
        cmd.SetAction(async (_, ct) =>
        {
            try
            {
                return await RunAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var (code, message) = CliSupport.Describe(ex, connected: false);
                Console.Error.WriteLine("pliant demo: " + message);
                return code == ExitCodes.Ok ? ExitCodes.TransferError : code;
            }
        });
        return cmd;
    }

    private static async Task<int> RunAsync(CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("pliant-demo-");
        try
        {
            var data = RandomNumberGenerator.GetBytes(FileSize);
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "random.bin"), data, ct).ConfigureAwait(false);
            var expected = SHA256.HashData(data);

            using var cert = QuicServerCertificates.CreateSelfSigned();
            await using var listener = await QuicListener.ListenAsync(new QuicListenerOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                ApplicationProtocols = ["h3"],
                ServerCertificate = cert,
                TicketKey = RandomNumberGenerator.GetBytes(32),
                EnableEarlyData = true,
            }, ct).ConfigureAwait(false);
            var files = new StaticFileHandler(dir.FullName);
            using var serverStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var serverTask = ServeOneAsync(listener, files, serverStop.Token);

            var sw = Stopwatch.StartNew();
            await using var conn = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
            {
                RemoteEndPoint = listener.LocalEndPoint,
                ServerName = "localhost",
                ApplicationProtocols = ["h3"],
                CertificateValidation = CertificateValidation.Pin(QuicServerCertificates.Sha256(cert)),
            }, ct).ConfigureAwait(false);
            var handshake = sw.Elapsed;

            var h3 = await Http3ClientConnection.ConnectAsync(new H3Adapter(conn), null, ct).ConfigureAwait(false);
            var transferStart = Stopwatch.StartNew();
            using var response = await h3.SendRequestAsync(new Http3Request { Authority = $"localhost:{listener.LocalEndPoint.Port}", Path = "/random.bin" }, ct).ConfigureAwait(false);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long bytes = 0;
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await response.Content.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                bytes += n;
            }
            var transfer = transferStart.Elapsed;
            var verified = response.Status == 200 && bytes == FileSize && hash.GetHashAndReset().AsSpan().SequenceEqual(expected);
            var (version, suite, _, _) = ConnectionInfo.Read(conn);

            try
            {
                await h3.CloseAsync().WaitAsync(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or IOException or QuicException or Http3Exception)
            {
            }
            await serverStop.CancelAsync().ConfigureAwait(false);
            try
            {
                await serverTask.WaitAsync(TimeSpan.FromSeconds(3), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
            }

            var secs = Math.Max(transfer.TotalSeconds, 1e-6);
            var table = new Table().AddColumn("").AddColumn("");
            table.HideHeaders();
            table.AddRow("handshake", string.Create(CultureInfo.InvariantCulture, $"{handshake.TotalMilliseconds:0.0} ms"));
            table.AddRow("bytes", bytes.ToString(CultureInfo.InvariantCulture));
            table.AddRow("transfer", string.Create(CultureInfo.InvariantCulture, $"{secs:0.000} s"));
            table.AddRow("goodput", string.Create(CultureInfo.InvariantCulture, $"{bytes * 8 / secs / 1e6:0.0} Mbit/s"));
            table.AddRow("version", CliSupport.VersionName(version));
            table.AddRow("cipher suite", CliSupport.SuiteName(suite));
            table.AddRow("certificate", "pinned sha256 " + QuicServerCertificates.Sha256Fingerprint(cert)[..16] + "…");
            var color = !Console.IsOutputRedirected;
            table.AddRow("sha-256", verified ? (color ? "[green]verified[/]" : "verified") : (color ? "[red]MISMATCH[/]" : "MISMATCH"));
            AnsiConsole.Write(table);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bytes={bytes} time_s={secs:0.000} goodput_mbit={bytes * 8 / secs / 1e6:0.0} verified={(verified ? "yes" : "no")}"));
            return verified ? ExitCodes.Ok : ExitCodes.TransferError;
        }
        finally
        {
            try { dir.Delete(true); } catch (IOException) { }
        }
    }

    private static async Task ServeOneAsync(QuicListener listener, StaticFileHandler files, CancellationToken ct)
    {
        try
        {
            await using var conn = await listener.AcceptConnectionAsync(ct).ConfigureAwait(false);
            var server = new Http3ServerConnection(new H3Adapter(conn), files.HandleAsync);
            await server.RunAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or QuicException or IOException or Http3Exception or ObjectDisposedException)
        {
        }
    }
}
