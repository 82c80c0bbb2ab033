using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pliant.Http3;
using Pliant.Net;
using Pliant.Quic.Tls;

namespace Pliant.AspNetCore.Tests;

/// <summary>A Kestrel app on 127.0.0.1 (HTTP/1.1+2+3, Pliant QUIC) on a free port, and HTTP/3 clients for it.</summary>
internal sealed class KestrelHost : IAsyncDisposable
{
    private static readonly Lazy<X509Certificate2> s_cert = new(() => QuicServerCertificates.CreateSelfSigned("localhost"));

    public static X509Certificate2 Certificate => s_cert.Value;

    private KestrelHost(WebApplication app, int port)
    {
        App = app;
        Port = port;
    }

    public WebApplication App { get; }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>
    /// Starts the app. Kestrel needs one fixed port for TCP and QUIC together, so a port free for both is
    /// picked and the start retried with another if someone took it in between.
    /// </summary>
    public static async Task<KestrelHost> StartAsync(Action<WebApplication> map, Action<PliantQuicTransportOptions>? quic = null,
        Action<KestrelServerOptions>? kestrel = null, Action<IServiceCollection>? services = null, HttpProtocols? protocols = HttpProtocols.Http1AndHttp2AndHttp3)
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = FreeTcpAndUdpPort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            if (Environment.GetEnvironmentVariable("PLIANT_TEST_LOG") is "1")
            {
                builder.Logging.AddSimpleConsole();
                builder.Logging.SetMinimumLevel(LogLevel.Debug);
            }
            builder.WebHost.UsePliantQuic(quic);
            builder.WebHost.ConfigureKestrel(o =>
            {
                o.Listen(IPAddress.Loopback, port, lo =>
                {
                    if (protocols is { } p) lo.Protocols = p; // null: Kestrel's defaults plus what UsePliantQuic adds
                    lo.UseHttps(Certificate);
                });
                kestrel?.Invoke(o);
            });
            services?.Invoke(builder.Services);
            var app = builder.Build();
            map(app);
            try
            {
                await app.StartAsync();
            }
            catch (Exception ex) when (attempt < 10 && ex is IOException or System.Net.Sockets.SocketException)
            {
                await app.DisposeAsync();
                continue;
            }
            return new KestrelHost(app, port);
        }
    }

    private static int FreeTcpAndUdpPort()
    {
        while (true)
        {
            using var tcp = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            tcp.Start();
            int port = ((IPEndPoint)tcp.LocalEndpoint).Port;
            try
            {
                using var udp = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
        }
    }

    /// <summary>A Pliant HTTP/3 client connection to the app (certificate pinned).</summary>
    public async Task<(QuicConnection Quic, Http3ClientConnection Http)> ConnectAsync(Http3ClientOptions? options = null)
    {
        var quic = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = EndPoint,
            ServerName = "localhost",
            ApplicationProtocols = ["h3"],
            CertificateValidation = CertificateValidation.Pin(QuicServerCertificates.Sha256(Certificate)),
        });
        var http = await Http3ClientConnection.ConnectAsync(new QuicH3Connection(quic), options);
        return (quic, http);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await App.StopAsync(cts.Token);
        await App.DisposeAsync();
    }
}
