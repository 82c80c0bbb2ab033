using System.Net;
using System.Net.Sockets;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests;

/// <summary>
/// Issue 14: samples/Http3Api run as an application would be (<c>dotnet Http3Api.dll --urls https://…</c>, its
/// certificate from Kestrel's configuration), then fetched over HTTP/3 by <c>pliant get</c> (a 100 MiB download
/// checked byte for byte) and by ngtcp2's gtlsclient (the JSON answer).
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class SampleApiCli
{
    private const string Cls = nameof(SampleApiCli);

    private static string SampleDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        string config = dir.Parent?.Name ?? "Release", tfm = dir.Name;
        for (var d = dir; d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "samples", "Http3Api", "bin", config, tfm, "Http3Api.dll");
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"Http3Api.dll not found under samples/Http3Api/bin/{config}/{tfm}; build the solution.");
        return null!;
    }

    /// <summary>Kestrel needs the port free for TCP and UDP alike.</summary>
    private static int FreeTcpAndUdpPort()
    {
        while (true)
        {
            int port = FreePort.Udp();
            try
            {
                using var tcp = new TcpListener(IPAddress.Loopback, port);
                tcp.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }

    /// <summary>The sample's download pattern (samples/Http3Api Http3ApiEndpoints.Fill).</summary>
    private static byte PatternAt(long p) => (byte)((p * 131) ^ (p >> 11));

    [Fact]
    public async Task PliantGetAndGtlsclientFetchFromKestrel()
    {
        var c = InteropCase.Create(Cls);
        int port = FreeTcpAndUdpPort();
        using var app = PeerProcess.Start("http3api", PliantCli.DotnetHost,
            [SampleDll(), "--urls", $"https://127.0.0.1:{port}", $"--Kestrel:Certificates:Default:Path={c.Cert.CertPath}",
             $"--Kestrel:Certificates:Default:KeyPath={c.Cert.KeyPath}", "--Logging:LogLevel:Default=Warning",
             "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information"], c.Dir);
        // Kestrel logs this once every endpoint (TCP and QUIC) is bound.
        for (int i = 0; i < 1200 && !app.ReadStdout().Contains("Application started", StringComparison.Ordinal) && !app.HasExited; i++) await Task.Delay(50);
        Assert.True(app.ReadStdout().Contains("Application started", StringComparison.Ordinal) && FreePort.IsUdpBound(port), "the sample did not start\n" + app.Tail());

        string file = Path.Combine(c.Downloads, "big");
        using (var get = await PliantCli.RunAsync("pliant-get", c.Dir, InteropCase.Timeout,
                   ["get", $"https://127.0.0.1:{port}/download?size={100 << 20}", "-o", file, "--pin", c.Cert.Sha256Hex]))
        {
            Assert.True(get.ExitCode == 0, get.Tail() + app.Tail());
            Assert.Contains($"bytes={100 << 20}", get.ReadStdout());
        }
        await using (var f = File.OpenRead(file))
        {
            Assert.Equal(100L << 20, f.Length);
            var buffer = new byte[1 << 16];
            long offset = 0;
            int n;
            while ((n = await f.ReadAsync(buffer)) > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    if (buffer[i] != PatternAt(offset + i)) Assert.Fail($"byte {offset + i} differs");
                }
                offset += n;
            }
        }

        using var client = await Ngtcp2.RunClientAsync(c.Dir, port, c.Downloads, ["/"], [], InteropCase.Timeout);
        Assert.True(client.ExitCode == 0, client.Tail() + app.Tail());
        string json = await File.ReadAllTextAsync(Path.Combine(c.Downloads, "index.html"));
        Assert.Contains("\"protocol\":\"HTTP/3\"", json);
        await app.StopAsync();
    }
}
