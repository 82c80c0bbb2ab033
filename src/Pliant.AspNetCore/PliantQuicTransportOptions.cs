using Pliant.Net;
using Pliant.Quic.Connection;

namespace Pliant.AspNetCore;

/// <summary>
/// Options of the Pliant QUIC transport for Kestrel (<see cref="PliantWebHostBuilderExtensions.UsePliantQuic(Microsoft.AspNetCore.Hosting.IWebHostBuilder, Action{PliantQuicTransportOptions}?)"/>).
/// Where a value is null, it is taken from Kestrel's <c>Limits</c> (see docs/aspnetcore.md, "Limits").
/// </summary>
public sealed class PliantQuicTransportOptions
{
    /// <summary>
    /// Request streams a client may open at once (initial_max_streams_bidi). Null takes Kestrel's
    /// <c>Limits.Http2.MaxStreamsPerConnection</c> (100 by default), the per-connection stream limit an
    /// ASP.NET Core developer already sets.
    /// </summary>
    public int? MaxBidirectionalStreamCount { get; set; }

    /// <summary>Unidirectional streams a client may open at once (initial_max_streams_uni): control, QPACK and a few spare. Default 10.</summary>
    public int MaxUnidirectionalStreamCount { get; set; } = 10;

    /// <summary>
    /// The QUIC idle timeout (max_idle_timeout). Null takes Kestrel's <c>Limits.KeepAliveTimeout</c>
    /// (130 s by default) plus 5 s, so Kestrel's own keep-alive closes an idle connection gracefully
    /// (GOAWAY) before QUIC drops it. <see cref="TimeSpan.Zero"/> disables it.
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>
    /// Bytes a client may send on one stream before the application reads them (initial_max_stream_data),
    /// and the transport's per-stream input buffer. Null takes Kestrel's <c>Limits.MaxRequestBufferSize</c>
    /// (1 MiB by default; Pliant's default when Kestrel's is unlimited).
    /// </summary>
    public long? MaxReadBufferSize { get; set; }

    /// <summary>Bytes the application may have written to a stream that the transport has not yet handed to QUIC. Default 64 KiB.</summary>
    public long MaxWriteBufferSize { get; set; } = 64 * 1024;

    /// <summary>Connections that finished their handshake and wait for Kestrel to accept them. Default 512.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>Error code used when a stream is aborted without one set (H3_REQUEST_CANCELLED, 0x10c, as Kestrel's msquic transport).</summary>
    public long DefaultStreamErrorCode { get; set; } = 0x10c;

    /// <summary>Error code used when a connection is closed without one set (H3_NO_ERROR, 0x100).</summary>
    public long DefaultCloseErrorCode { get; set; } = 0x100;

    /// <summary>
    /// Accept TLS 0-RTT early data from resuming clients (off by default). Requests that arrived as early
    /// data carry <see cref="IEarlyDataFeature.IsEarlyData"/>; with <see cref="EarlyDataPolicy"/> at its
    /// default, unsafe methods are answered 425 Too Early (RFC 8470 §5.2) before the application sees them.
    /// </summary>
    public bool EnableEarlyData { get; set; }

    /// <summary>What happens to requests that arrived as early data (see <see cref="EnableEarlyData"/>).</summary>
    public EarlyDataPolicy EarlyDataPolicy { get; set; } = EarlyDataPolicy.RejectUnsafe;

    /// <summary>
    /// Methods run from early data under <see cref="EarlyDataPolicy.RejectUnsafe"/> (case-sensitive). Default
    /// GET, HEAD and OPTIONS: safe methods (RFC 9110 §9.2.1) whose replay changes nothing if the application keeps them safe.
    /// </summary>
    public ISet<string> EarlyDataMethods { get; } = new HashSet<string>(StringComparer.Ordinal) { "GET", "HEAD", "OPTIONS" };

    /// <summary>
    /// Key (32 bytes) sealing session tickets, shared by every endpoint of this application. Null: a random key
    /// per process (resumption works until the process restarts).
    /// </summary>
    public byte[]? TicketKey { get; set; }

    /// <summary>Send every new client a Retry first to validate its address (RFC 9000 §8.1.2). Off by default (Retry starts by itself under load, see <see cref="Limits"/>).</summary>
    public bool RequireRetry { get; set; }

    /// <summary>
    /// Admission limits of each UDP endpoint (docs/security.md). Kestrel's <c>Limits.MaxConcurrentConnections</c>,
    /// when set, lowers <see cref="ServerLimits.MaxConnections"/>: extra clients are refused during the QUIC
    /// handshake (CONNECTION_REFUSED) instead of after it.
    /// </summary>
    public ServerLimits Limits { get; set; } = ServerLimits.Default;

    /// <summary>
    /// Host name given to Kestrel's certificate selection (<c>ServerCertificateSelector</c>, SNI configuration)
    /// when the listener starts. Pliant picks the certificate once per endpoint, not per connection: every
    /// client gets the certificate chosen for this name. Null lets Kestrel use its default certificate.
    /// </summary>
    public string? CertificateHostName { get; set; }

    /// <summary>
    /// Called for every connection as soon as its QUIC state exists, before the handshake completes, under
    /// the endpoint lock: attach protocol plugins here (<c>PluginHost.Attach</c>), register frame extensions or
    /// operation hooks. An exception closes only that connection (INTERNAL_ERROR).
    /// </summary>
    public Action<QuicConnectionCore>? ConfigureConnection { get; set; }

    /// <summary>Transport parameters sent beyond RFC 9000's (e.g. plugin advertisements).</summary>
    public IReadOnlyList<(ulong Id, byte[] Value)> ExtraTransportParameters { get; set; } = [];

    /// <summary>
    /// Last say over the listener options once everything above and Kestrel's limits are applied (congestion
    /// control, ECN, cipher suites, ...).
    /// </summary>
    public Action<QuicListenerOptions>? ConfigureListener { get; set; }
}

/// <summary>What the transport does with requests that arrived as TLS 0-RTT early data (RFC 8470).</summary>
public enum EarlyDataPolicy
{
    /// <summary>Run only methods in <see cref="PliantQuicTransportOptions.EarlyDataMethods"/>; answer others 425 Too Early.</summary>
    RejectUnsafe,

    /// <summary>Answer every early request 425 Too Early; the client sends it again after the handshake.</summary>
    RejectAll,

    /// <summary>Leave it to the application (<see cref="IEarlyDataFeature"/>).</summary>
    Accept,
}
