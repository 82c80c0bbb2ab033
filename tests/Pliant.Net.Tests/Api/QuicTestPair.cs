using System.Net;
using System.Security.Cryptography.X509Certificates;
using Pliant.Quic.Tls;

namespace Pliant.Net.Tests.Api;

/// <summary>A listener on 127.0.0.1 and a connected client, for API tests.</summary>
internal sealed class QuicTestPair : IAsyncDisposable
{
    public const string Alpn = "pliant-test";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly Lazy<X509Certificate2> SharedCertificate = new(() => QuicServerCertificates.CreateSelfSigned("localhost"));

    public required QuicListener Listener { get; init; }
    public required QuicConnection Client { get; init; }
    public required QuicConnection Server { get; init; }

    public static X509Certificate2 Certificate => SharedCertificate.Value;

    public static QuicListenerOptions ListenerOptions(Action<QuicServerConnectionOptions>? configure = null)
    {
        var options = new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ApplicationProtocols = [Alpn],
            ServerCertificate = Certificate,
        };
        configure?.Invoke(options.ConnectionOptions);
        return options;
    }

    public static QuicClientConnectionOptions ClientOptions(IPEndPoint server) => new()
    {
        RemoteEndPoint = server,
        ServerName = "localhost",
        ApplicationProtocols = [Alpn],
        CertificateValidation = CertificateValidation.Pin(QuicServerCertificates.Sha256(Certificate)),
    };

    public static async Task<QuicTestPair> CreateAsync(Action<QuicServerConnectionOptions>? configureServer = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var listener = await QuicListener.ListenAsync(ListenerOptions(configureServer), cts.Token);
        var accept = listener.AcceptConnectionAsync(cts.Token).AsTask();
        var client = await QuicConnection.ConnectAsync(ClientOptions(listener.LocalEndPoint), cts.Token);
        var server = await accept;
        return new QuicTestPair { Listener = listener, Client = client, Server = server };
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        await Listener.DisposeAsync();
    }
}
