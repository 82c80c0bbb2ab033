using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pliant.Http3.Client;
using Pliant.Net;
using Pliant.Quic.Tls;

namespace Pliant.Http3;

/// <summary>
/// An <see cref="HttpMessageHandler"/> that sends requests over HTTP/3 on Pliant QUIC, so
/// <c>new HttpClient(new Http3MessageHandler())</c> fetches HTTP/3 without libmsquic. One connection per
/// endpoint is pooled and shared by concurrent requests (each a stream); request and response bodies stream;
/// cancelling a request or its body read resets its stream (H3_REQUEST_CANCELLED) and nothing else; response
/// trailers land in <see cref="HttpResponseMessage.TrailingHeaders"/>.
/// </summary>
/// <remarks>
/// <para>Versions (<see cref="HttpRequestMessage.Version"/> and <see cref="HttpRequestMessage.VersionPolicy"/>):</para>
/// <list type="bullet">
/// <item>3.0 with <see cref="HttpVersionPolicy.RequestVersionExact"/> or <see cref="HttpVersionPolicy.RequestVersionOrHigher"/>: HTTP/3 only.</item>
/// <item>3.0 with <see cref="HttpVersionPolicy.RequestVersionOrLower"/>: HTTP/3, or HTTP/2 / HTTP/1.1 over TCP (through
/// <see cref="FallbackHandler"/>) when no HTTP/3 connection can be made.</item>
/// <item>Below 3.0 with <see cref="HttpVersionPolicy.RequestVersionOrHigher"/>: HTTP/3 when the origin advertised it in an
/// <c>Alt-Svc</c> header (learned from earlier TCP responses, RFC 7838), else TCP.</item>
/// <item>Below 3.0 with <see cref="HttpVersionPolicy.RequestVersionExact"/> or <see cref="HttpVersionPolicy.RequestVersionOrLower"/>: TCP —
/// except HttpClient's untouched default (1.1, RequestVersionOrLower), which is treated as 3.0 RequestVersionOrLower while
/// <see cref="PreferHttp3"/> is true (the default).</item>
/// </list>
/// <para>Without <see cref="AllowTcpFallback"/> a request HTTP/3 cannot serve fails with <see cref="HttpRequestException"/>.</para>
/// </remarks>
public sealed class Http3MessageHandler : HttpMessageHandler
{
    private readonly Http3ConnectionPool _pool;
    private readonly AltSvcCache _altSvc;
    private readonly object _gate = new();
    private HttpMessageHandler? _fallback;
    private HttpMessageInvoker? _fallbackInvoker;
    private bool _started;
    private int _disposed;

    /// <summary>A handler with the defaults: system roots, HTTP/3 preferred, TCP fallback allowed.</summary>
    public Http3MessageHandler() : this(TimeProvider.System)
    {
    }

    internal Http3MessageHandler(TimeProvider time)
    {
        _altSvc = new AltSvcCache(time);
        _pool = new Http3ConnectionPool(ConnectAsync);
    }

    /// <summary>
    /// How the server certificate is checked, the same choices as <c>pliant get</c>: the system roots and the
    /// host name (default), pinned SHA-256 hashes (<c>--pin</c>), or none (<c>--insecure</c>, tests only). The
    /// default TCP fallback applies the same policy.
    /// </summary>
    public CertificateValidation CertificateValidation { get; set; } = CertificateValidation.System;

    /// <summary>How long the QUIC handshake may take before the attempt counts as failed (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Send HttpClient's default requests (HTTP/1.1, RequestVersionOrLower) over HTTP/3 with TCP fallback. Default true.</summary>
    public bool PreferHttp3 { get; set; } = true;

    /// <summary>Use <see cref="FallbackHandler"/> when the version policy allows a TCP version and HTTP/3 is not possible. Default true.</summary>
    public bool AllowTcpFallback { get; set; } = true;

    /// <summary>
    /// The handler for HTTP/2 and HTTP/1.1 over TCP; by default a <see cref="SocketsHttpHandler"/> with
    /// <see cref="CertificateValidation"/>'s policy. Disposed with this handler.
    /// </summary>
    public HttpMessageHandler? FallbackHandler
    {
        get => _fallback;
        set
        {
            lock (_gate)
            {
                if (_started) throw new InvalidOperationException("the fallback handler cannot change once requests were sent");
                _fallback = value;
            }
        }
    }

    /// <summary>HTTP/3 session options (QPACK table sizes, field section limits) for new connections.</summary>
    public Http3ClientOptions? Http3Options { get; set; }

    /// <summary>Adjusts the QUIC options of each new connection (cipher suites, groups, idle timeout, plugins).</summary>
    public Action<QuicClientConnectionOptions>? ConfigureConnection { get; set; }

    /// <summary>HTTP/3 connections opened so far.</summary>
    public long ConnectionsOpened => _pool.ConnectionsOpened;

    /// <summary>Requests sent through the TCP fallback.</summary>
    public long FallbackRequests => Interlocked.Read(ref _fallbackRequests);

    private long _fallbackRequests;

    /// <inheritdoc />
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        lock (_gate) _started = true;
        var uri = request.RequestUri ?? throw new InvalidOperationException("the request has no RequestUri");
        if (!uri.IsAbsoluteUri) throw new InvalidOperationException("the request URI must be absolute");

        var route = Route(request, uri);
        if (route.Http3 is { } target)
        {
            for (int attempt = 0; ; attempt++)
            {
                PooledConnection connection;
                try
                {
                    connection = await _pool.GetAsync(target, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is QuicException or AuthenticationException or IOException or TimeoutException or SocketException or Pliant.Quic.QuicProtocolException or Http3Exception
                                           || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    if (route.ViaAltSvc) _altSvc.Forget(uri);
                    if (!route.TcpAllowed) throw new HttpRequestException(HttpRequestError.ConnectionError, $"no HTTP/3 connection to {target.Host}:{target.Port}: {ex.Message}", ex);
                    return await SendOverTcpAsync(request, route.TcpVersion, cancellationToken).ConfigureAwait(false);
                }
                var (response, retry) = await SendOverHttp3Async(connection, request, uri, attempt == 0, cancellationToken).ConfigureAwait(false);
                if (response is not null) return response;
                _ = retry; // the connection went away before the request was processed: once more on a new one
            }
        }
        if (route.TcpAllowed) return await SendOverTcpAsync(request, route.TcpVersion, cancellationToken).ConfigureAwait(false);
        throw new HttpRequestException(HttpRequestError.VersionNegotiationError,
            $"HTTP/{request.Version} with {request.VersionPolicy} allows no version this handler can use (HTTP/3 needs an https URL; AllowTcpFallback={AllowTcpFallback})");
    }

    private readonly record struct RouteChoice(PoolKey? Http3, bool ViaAltSvc, bool TcpAllowed, Version? TcpVersion);

    private RouteChoice Route(HttpRequestMessage request, Uri uri)
    {
        var version = request.Version;
        var policy = request.VersionPolicy;
        Version? tcpVersion = null;
        if (PreferHttp3 && version == HttpVersion.Version11 && policy == HttpVersionPolicy.RequestVersionOrLower)
        {
            version = HttpVersion.Version30;
            tcpVersion = HttpVersion.Version11; // the request the caller left as it was
        }
        bool https = uri.Scheme == Uri.UriSchemeHttps;
        bool h3Allowed = https && policy switch
        {
            HttpVersionPolicy.RequestVersionExact => version.Major == 3,
            HttpVersionPolicy.RequestVersionOrHigher => version.Major <= 3,
            _ => version.Major >= 3,
        };
        bool tcpAllowed = AllowTcpFallback && (policy == HttpVersionPolicy.RequestVersionOrLower || version.Major < 3);
        if (tcpAllowed && version.Major >= 3) tcpVersion ??= HttpVersion.Version20;
        PoolKey? target = null;
        bool viaAltSvc = false;
        if (h3Allowed)
        {
            if (version.Major >= 3) target = new PoolKey(uri.IdnHost, uri.Port, uri.IdnHost);
            else if (_altSvc.TryGet(uri, out var alt))
            {
                target = new PoolKey(alt.Host.Length == 0 ? uri.IdnHost : alt.Host, alt.Port, uri.IdnHost);
                viaAltSvc = true;
            }
        }
        return new RouteChoice(target, viaAltSvc, tcpAllowed, tcpVersion);
    }

    /// <summary>
    /// Sends on <paramref name="connection"/>. Returns (null, true) when <paramref name="mayRetry"/> and the request
    /// was certainly not processed and can be sent again: refused by GOAWAY or H3_REQUEST_REJECTED (RFC 9114
    /// §4.1.1, §5.2), or the connection was gone before its body was read.
    /// </summary>
    private static async Task<(HttpResponseMessage? Response, bool Retry)> SendOverHttp3Async(PooledConnection connection, HttpRequestMessage request, Uri uri, bool mayRetry, CancellationToken ct)
    {
        var bodyStarted = new StrongBox<bool>();
        var h3 = HttpMessageMapping.ToHttp3(request, uri, bodyStarted);
        Http3Response response;
        try
        {
            response = await connection.Http.SendRequestAsync(h3, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new TaskCanceledException("the request was cancelled (its HTTP/3 stream was reset)", null, ct);
        }
        catch (Exception ex) when (ex is Http3Exception or IOException or QuicException or ObjectDisposedException or InvalidOperationException)
        {
            if (ex is QuicException { QuicError: not QuicError.StreamAborted } or ObjectDisposedException) connection.MarkBroken(); // the connection itself failed
            // A connection that died under an idempotent request (RFC 9110 §9.2.2) may be retried too.
            bool unprocessed = ex is Http3Exception { ErrorCode: Http3ErrorCode.RequestRejected } || (!connection.IsUsable && IsIdempotent(request.Method));
            if (mayRetry && unprocessed && !bodyStarted.Value) return (null, true);
            throw new HttpRequestException(HttpRequestError.HttpProtocolError, $"HTTP/3 request to {uri.GetLeftPart(UriPartial.Authority)} failed: {ex.Message}", ex);
        }
        return (HttpMessageMapping.ToMessage(response, request), false);
    }

    private static bool IsIdempotent(HttpMethod m) =>
        m == HttpMethod.Get || m == HttpMethod.Head || m == HttpMethod.Options || m == HttpMethod.Trace || m == HttpMethod.Put || m == HttpMethod.Delete;

    private async Task<HttpResponseMessage> SendOverTcpAsync(HttpRequestMessage request, Version? version, CancellationToken ct)
    {
        if (version is not null && request.Version != version)
        {
            request.Version = version;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        }
        Interlocked.Increment(ref _fallbackRequests);
        var response = await Fallback().SendAsync(request, ct).ConfigureAwait(false);
        // RFC 7838: remember where the origin offers HTTP/3.
        if (request.RequestUri is { Scheme: "https" } uri && response.Headers.TryGetValues("Alt-Svc", out var values)) _altSvc.Learn(uri, values);
        return response;
    }

    private HttpMessageInvoker Fallback()
    {
        lock (_gate)
        {
            return _fallbackInvoker ??= new HttpMessageInvoker(_fallback ??= CreateDefaultFallback(CertificateValidation), disposeHandler: false);
        }
    }

    /// <summary>A <see cref="SocketsHttpHandler"/> checking certificates like our QUIC connections do.</summary>
    internal static SocketsHttpHandler CreateDefaultFallback(CertificateValidation validation)
    {
        var handler = new SocketsHttpHandler();
        switch (validation.Mode)
        {
            case CertificateValidationMode.Insecure:
                handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
                break;
            case CertificateValidationMode.Pinned:
                var pins = validation.PinnedSha256;
                handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
                    cert is not null && pins.Any(p => CryptographicOperations.FixedTimeEquals(p, SHA256.HashData(cert.GetRawCertData())));
                break;
            case CertificateValidationMode.SystemRoots when validation.ExtraRoots is { Count: > 0 } roots:
                handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
                {
                    if (errors == SslPolicyErrors.None) return true;
                    if (cert is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
                    using var c = new X509Chain();
                    c.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    c.ChainPolicy.CustomTrustStore.AddRange(roots);
                    c.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return c.Build(new X509Certificate2(cert));
                };
                break;
        }
        return handler;
    }

    private async Task<PooledConnection> ConnectAsync(PoolKey key, CancellationToken disposed)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(disposed);
        cts.CancelAfter(ConnectTimeout);
        var endPoint = await ResolveAsync(key.Host, key.Port, cts.Token).ConfigureAwait(false);
        var options = new QuicClientConnectionOptions
        {
            RemoteEndPoint = endPoint,
            ServerName = key.ServerName,
            ApplicationProtocols = ["h3"],
            CertificateValidation = CertificateValidation,
        };
        ConfigureConnection?.Invoke(options);
        QuicConnection quic;
        try
        {
            quic = await QuicConnection.ConnectAsync(options, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!disposed.IsCancellationRequested)
        {
            throw new TimeoutException($"no QUIC handshake with {endPoint} within {ConnectTimeout.TotalSeconds:0.#} s");
        }
        try
        {
            var http = await Http3ClientConnection.ConnectAsync(new QuicH3Connection(quic), Http3Options, cts.Token).ConfigureAwait(false);
            return new PooledConnection(quic, http);
        }
        catch
        {
            await quic.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>An IP literal as is; a name through DNS, IPv4 first (like <c>pliant get</c>).</summary>
    internal static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        var addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        var pick = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new IOException($"{host}: no address");
        return new IPEndPoint(pick, port);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Closing is started, not waited for: Dispose may run on a QUIC driver thread (stream completions
            // resume there), and blocking it would stall the very connections being closed.
            _ = _pool.DisposeAsync().AsTask();
            _fallbackInvoker?.Dispose();
            _fallback?.Dispose();
        }
        base.Dispose(disposing);
    }
}
