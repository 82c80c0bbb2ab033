using System.Net;
using System.Security.Cryptography.X509Certificates;
using Pliant.Quic.Tls;

namespace Pliant.Net.Tests.Api;

/// <summary>
/// A listener on 127.0.0.1 and a connected client, for API tests. With <c>fake</c> the driver runs
/// <see cref="Fake.FakeEndpoint"/> instead of the QUIC core (tests the driver and API on their own).
/// </summary>
internal sealed class QuicTestPair : IAsyncDisposable
{
    public const string Alpn = "pliant-test";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly Lazy<X509Certificate2> SharedCertificate = new(() => QuicServerCertificates.CreateSelfSigned("localhost"));

    public required QuicListener Listener { get; init; }
    public required QuicConnection Client { get; init; }
    public required QuicConnection Server { get; init; }

    public static X509Certificate2 Certificate => SharedCertificate.Value;

    public static QuicListenerOptions ListenerOptions(bool fake, Action<QuicServerConnectionOptions>? configure = null)
    {
        var options = new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ApplicationProtocols = [Alpn],
            ServerCertificate = Certificate,
            EndpointFactory = fake ? Fake.FakeEndpoint.Create : null,
        };
        configure?.Invoke(options.ConnectionOptions);
        return options;
    }

    public static QuicClientConnectionOptions ClientOptions(bool fake, IPEndPoint server) => new()
    {
        EndpointFactory = fake ? Fake.FakeEndpoint.Create : null,
        RemoteEndPoint = server,
        ServerName = "localhost",
        ApplicationProtocols = [Alpn],
        CertificateValidation = CertificateValidation.Pin(QuicServerCertificates.Sha256(Certificate)),
    };

    public static async Task<QuicTestPair> CreateAsync(bool fake, Action<QuicServerConnectionOptions>? configureServer = null,
        Action<QuicClientConnectionOptions>? configureClient = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var listener = await QuicListener.ListenAsync(ListenerOptions(fake, configureServer), cts.Token);
        var accept = listener.AcceptConnectionAsync(cts.Token).AsTask();
        var clientOptions = ClientOptions(fake, listener.LocalEndPoint);
        configureClient?.Invoke(clientOptions);
        var client = await QuicConnection.ConnectAsync(clientOptions, cts.Token);
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
