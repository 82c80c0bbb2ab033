using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Pliant.Net;
using Pliant.Quic.Connection;

namespace Pliant.AspNetCore.Internal;

/// <summary>
/// Builds a <see cref="QuicListenerOptions"/> for one Kestrel endpoint: the certificate and ALPN from Kestrel's
/// HTTPS configuration, the transport parameters from Kestrel's <see cref="KestrelServerLimits"/> (unless set
/// in <see cref="PliantQuicTransportOptions"/>), then the application's last say.
/// </summary>
internal static class ListenerOptionsFactory
{
    /// <summary>Kestrel closes an idle connection with a GOAWAY at KeepAliveTimeout; QUIC lets it live this much longer.</summary>
    internal static readonly TimeSpan IdleGrace = TimeSpan.FromSeconds(5);

    public static async ValueTask<QuicListenerOptions> CreateAsync(IPEndPoint endPoint, TlsConnectionCallbackOptions tls, PliantQuicTransportOptions options,
        KestrelServerLimits limits, CancellationToken cancellationToken)
    {
        if (tls.ApplicationProtocols is not { Count: > 0 })
            throw new InvalidOperationException("No application protocols (ALPN) configured for the QUIC endpoint " + endPoint + ".");
        // Pliant chooses the certificate when the endpoint starts (not per ClientHello): ask Kestrel's HTTPS
        // configuration once, as for a client that named CertificateHostName.
        var hello = new SslClientHelloInfo(options.CertificateHostName ?? "", SslProtocols.Tls13);
        var context = new TlsConnectionCallbackContext { ClientHelloInfo = hello, State = tls.OnConnectionState, Connection = new BindingContext() };
        var ssl = await tls.OnConnection(context, cancellationToken).ConfigureAwait(false);
        var (certificate, chain) = ResolveCertificate(ssl, options.CertificateHostName, endPoint);
        var protocols = (ssl.ApplicationProtocols is { Count: > 0 } p ? p : tls.ApplicationProtocols).Select(a => a.ToString()).ToList();

        var connection = new QuicServerConnectionOptions
        {
            MaxInboundBidirectionalStreams = options.MaxBidirectionalStreamCount ?? limits.Http2.MaxStreamsPerConnection,
            MaxInboundUnidirectionalStreams = options.MaxUnidirectionalStreamCount,
            IdleTimeout = options.IdleTimeout ?? (limits.KeepAliveTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : limits.KeepAliveTimeout + IdleGrace),
            InitialMaxStreamData = ReadBufferSize(options, limits),
            DefaultStreamErrorCode = options.DefaultStreamErrorCode,
            DefaultCloseErrorCode = options.DefaultCloseErrorCode,
            ExtraTransportParameters = options.ExtraTransportParameters,
            ConfigureCore = options.ConfigureConnection,
        };
        // The connection's credit covers at least a few streams' worth (the core's default is 4 MiB).
        if (connection.InitialMaxStreamData is long perStream && perStream * 4 > (connection.InitialMaxData ?? 4L << 20))
            connection.InitialMaxData = perStream * 4;

        var serverLimits = options.Limits;
        if (limits.MaxConcurrentConnections is long max && max < serverLimits.MaxConnections)
            serverLimits = WithMaxConnections(serverLimits, (int)Math.Max(1, max));

        var listener = new QuicListenerOptions
        {
            ListenEndPoint = endPoint,
            ApplicationProtocols = protocols,
            ServerCertificate = certificate,
            ServerCertificateChain = chain,
            ConnectionOptions = connection,
            ListenBacklog = options.Backlog,
            RequireRetry = options.RequireRetry,
            Limits = serverLimits,
            EnableEarlyData = options.EnableEarlyData,
            TicketKey = options.TicketKey ?? (options.EnableEarlyData ? ProcessTicketKey.Value : null),
        };
        options.ConfigureListener?.Invoke(listener);
        return listener;
    }

    /// <summary>The per-stream receive window and input buffer: the option, else Kestrel's MaxRequestBufferSize, else 1 MiB.</summary>
    public static long ReadBufferSize(PliantQuicTransportOptions options, KestrelServerLimits limits) =>
        options.MaxReadBufferSize ?? limits.MaxRequestBufferSize ?? 1 << 20;

    /// <summary>One random ticket key per process, when the application gave none: resumption and 0-RTT until restart.</summary>
    private static readonly Lazy<byte[]> ProcessTicketKey = new(() => RandomNumberGenerator.GetBytes(32));

    private static ServerLimits WithMaxConnections(ServerLimits l, int max) => new()
    {
        MaxConnections = max,
        MaxConnectionsPerAddress = Math.Min(l.MaxConnectionsPerAddress, max),
        MaxHandshakes = Math.Min(l.MaxHandshakes, max),
        MaxHandshakesPerAddress = Math.Min(l.MaxHandshakesPerAddress, max),
        RetryThreshold = l.RetryThreshold,
        StatelessResponsesPerSecond = l.StatelessResponsesPerSecond,
    };

    /// <summary>The certificate (with its private key) and intermediates from Kestrel's TLS options.</summary>
    internal static (X509Certificate2 Certificate, X509Certificate2Collection? Chain) ResolveCertificate(SslServerAuthenticationOptions ssl, string? hostName, EndPoint endPoint)
    {
        X509Certificate2? certificate = null;
        X509Certificate2Collection? chain = null;
        if (ssl.ServerCertificateContext is { } context)
        {
            certificate = context.TargetCertificate;
            if (context.IntermediateCertificates.Count > 0) chain = [.. context.IntermediateCertificates];
        }
        else if (ssl.ServerCertificate is not null)
        {
            certificate = ssl.ServerCertificate as X509Certificate2
                ?? throw new InvalidOperationException("The HTTPS certificate for " + endPoint + " must be an X509Certificate2 with its private key.");
        }
        else if (ssl.ServerCertificateSelectionCallback is { } select)
        {
            certificate = select(endPoint, hostName ?? "") as X509Certificate2;
        }
        if (certificate is null)
            throw new InvalidOperationException("No HTTPS certificate for the QUIC endpoint " + endPoint +
                " (configure Kestrel:Certificates:Default or ListenOptions.UseHttps).");
        if (!certificate.HasPrivateKey)
            throw new InvalidOperationException("The HTTPS certificate for " + endPoint + " (" + certificate.Subject + ") has no private key.");
        return (certificate, chain);
    }

    /// <summary>Stands for "the connection" in Kestrel's TLS callback while the endpoint starts (there is none yet).</summary>
    private sealed class BindingContext : BaseConnectionContext
    {
        public override string ConnectionId { get; set; } = "pliant-quic-bind";

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

        public override void Abort()
        {
        }

        public override void Abort(ConnectionAbortedException abortReason)
        {
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
