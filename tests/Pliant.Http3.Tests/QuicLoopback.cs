using System.Net;
using Pliant.Net;
using Pliant.Quic.Tls;

namespace Pliant.Http3.Tests;

/// <summary>A Pliant HTTP/3 server and client over real QUIC on 127.0.0.1 (port picked by the OS).</summary>
internal sealed class QuicLoopback : IAsyncDisposable
{
    private static readonly Lazy<System.Security.Cryptography.X509Certificates.X509Certificate2> s_cert = new(() => QuicServerCertificates.CreateSelfSigned("localhost"));

    public static System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate => s_cert.Value;

    private readonly QuicListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serverLoop;
    private readonly List<Http3ServerConnection> _servers = [];

    private QuicLoopback(QuicListener listener, Func<Http3ServerRequest, Http3ServerResponse, CancellationToken, Task> handler, Http3ServerOptions? options)
    {
        _listener = listener;
        _serverLoop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var conn = await _listener.AcceptConnectionAsync(_stop.Token);
                    var server = new Http3ServerConnection(new QuicH3Connection(conn), handler, options);
                    lock (_servers) _servers.Add(server);
                    _ = server.RunAsync(_stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or QuicException or ObjectDisposedException)
            {
            }
        });
    }

    public IPEndPoint EndPoint => _listener.LocalEndPoint;

    public IReadOnlyList<Http3ServerConnection> Servers
    {
        get { lock (_servers) return [.. _servers]; }
    }

    public static async Task<QuicLoopback> StartAsync(Func<Http3ServerRequest, Http3ServerResponse, CancellationToken, Task> handler, Http3ServerOptions? options = null)
    {
        var listener = await QuicListener.ListenAsync(new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ApplicationProtocols = ["h3"],
            ServerCertificate = s_cert.Value,
        });
        return new QuicLoopback(listener, handler, options);
    }

    public async Task<(QuicConnection Quic, Http3ClientConnection Http)> ConnectAsync(Http3ClientOptions? options = null)
    {
        var quic = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = EndPoint,
            ServerName = "localhost",
            ApplicationProtocols = ["h3"],
            CertificateValidation = CertificateValidation.Pin(QuicServerCertificates.Sha256(s_cert.Value)),
        });
        return (quic, await Http3ClientConnection.ConnectAsync(new QuicH3Connection(quic), options));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _listener.DisposeAsync();
        await _serverLoop;
        _stop.Dispose();
    }
}
