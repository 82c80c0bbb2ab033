using Microsoft.Extensions.Logging;
using Pliant.Quic.Connection;

namespace Pliant.Net;

/// <summary>
/// Settings shared by client and server connections. Null values keep the transport's defaults
/// (<see cref="Pliant.Quic.Connection.QuicConnectionOptions"/>).
/// </summary>
public abstract class QuicConnectionOptions
{
    /// <summary>max_idle_timeout (RFC 9000 §10.1); null keeps the default (30 s).</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>How long a handshake may take before it fails with <see cref="QuicError.ConnectionTimeout"/>; null keeps the default (10 s).</summary>
    public TimeSpan? HandshakeTimeout { get; set; }

    /// <summary>How many bidirectional streams the peer may open at once (initial_max_streams_bidi).</summary>
    public int MaxInboundBidirectionalStreams { get; set; } = 100;

    /// <summary>How many unidirectional streams the peer may open at once (initial_max_streams_uni).</summary>
    public int MaxInboundUnidirectionalStreams { get; set; } = 100;

    /// <summary>Error code used when a stream is disposed before it was read to the end (STOP_SENDING).</summary>
    public long DefaultStreamErrorCode { get; set; }

    /// <summary>Error code used when a connection is disposed without <see cref="QuicConnection.CloseAsync"/>.</summary>
    public long DefaultCloseErrorCode { get; set; }

    /// <summary>initial_max_data; null keeps the default.</summary>
    public long? InitialMaxData { get; set; }

    /// <summary>initial_max_stream_data_*; null keeps the default.</summary>
    public long? InitialMaxStreamData { get; set; }

    /// <summary>Largest UDP payload sent before path MTU discovery; null keeps the default.</summary>
    public int? MaxUdpPayloadSize { get; set; }

    /// <summary>Congestion controller; null keeps the default (CUBIC).</summary>
    public CongestionControlAlgorithm? CongestionControl { get; set; }

    /// <summary>
    /// Multipath QUIC (draft-ietf-quic-multipath-21): the largest path ID accepted (at most
    /// <see cref="Pliant.Quic.Connection.QuicConnectionOptions.MaxPathIdLimit"/>). Null (default): single-path. Both
    /// sides must set it; a client then opens paths with <see cref="QuicConnection.OpenPathAsync"/>.
    /// </summary>
    public uint? MaxPathId { get; set; }

    /// <summary>How a multipath connection spreads packets over its validated paths.</summary>
    public PathSchedulerKind PathScheduler { get; set; } = PathSchedulerKind.LowestRtt;

    /// <summary>Mark packets ECT(0) and validate ECN on the path (RFC 9000 §13.4).</summary>
    public bool EnableEcn { get; set; } = true;

    /// <summary>max_datagram_frame_size (RFC 9221); 0 disables DATAGRAM frames.</summary>
    public int MaxDatagramFrameSize { get; set; }

    /// <summary>
    /// Received DATAGRAMs kept for <see cref="QuicConnection.ReceiveDatagramAsync"/>; when the reader falls
    /// behind, the oldest are dropped (counted in <see cref="QuicConnection.DatagramsDropped"/>).
    /// </summary>
    public int DatagramReceiveQueueLength { get; set; } = 256;

    /// <summary>Where the driver logs; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Directory for a qlog of each connection (JSON-SEQ, <c>ODCID_client.sqlog</c> / <c>ODCID_server.sqlog</c>;
    /// see <see cref="Pliant.Quic.Diagnostics.QlogTrace"/>). Null (default): the <c>QLOGDIR</c> environment
    /// variable if set, else no qlog.
    /// </summary>
    public string? QlogDirectory { get; set; }

    /// <summary>
    /// The qlog's format: <see cref="Pliant.Quic.Diagnostics.QlogFormat.JsonSeq"/> (<c>.sqlog</c>, what qvis reads) or
    /// <see cref="Pliant.Quic.Diagnostics.QlogFormat.Binary"/> (<c>.pqlog</c>, a fraction of the cost while the
    /// connection runs; <c>pliant qlog convert</c> makes the <c>.sqlog</c>). Null (default): the <c>QLOGFORMAT</c>
    /// environment variable (<c>json</c> or <c>binary</c>) if set, else JSON-SEQ.
    /// </summary>
    public Pliant.Quic.Diagnostics.QlogFormat? QlogFormat { get; set; }

    /// <summary>Transport parameters to send beyond RFC 9000's (ids the core does not define), e.g. plugin advertisements.</summary>
    public IReadOnlyList<(ulong Id, byte[] Value)> ExtraTransportParameters { get; set; } = [];

    /// <summary>
    /// Called once per connection, under the endpoint lock, as soon as its sans-IO core exists (before
    /// the handshake progresses): the place to attach plugins, frame extensions or operation hooks.
    /// </summary>
    public Action<QuicConnectionCore>? ConfigureCore { get; set; }
}

/// <summary>Settings for connections a <see cref="QuicListener"/> accepts.</summary>
public sealed class QuicServerConnectionOptions : QuicConnectionOptions
{
}
