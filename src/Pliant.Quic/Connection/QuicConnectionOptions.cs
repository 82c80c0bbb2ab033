using Pliant.Quic.Tls;

namespace Pliant.Quic.Connection;

/// <summary>Congestion controllers built in (RFC 9002 §7 NewReno, RFC 9438 CUBIC, draft-ietf-ccwg-bbr-06 BBRv3, RFC 6356 LIA).</summary>
public enum CongestionControlAlgorithm
{
    NewReno,
    Cubic,
    Bbr,
    /// <summary>
    /// Linked Increases (RFC 6356): NewReno per path with the congestion-avoidance increase coupled across the
    /// connection's paths, so a multipath connection takes no more than one flow on its best path would. With
    /// one path it is NewReno.
    /// </summary>
    Lia,
}

/// <summary>Settings for one connection. Defaults suit a general-purpose client or server.</summary>
public sealed class QuicConnectionOptions
{
    /// <summary>TLS client settings; set for a client connection.</summary>
    public TlsClientOptions? Client { get; init; }

    /// <summary>TLS server settings; set for a server connection.</summary>
    public TlsServerOptions? Server { get; init; }

    /// <summary>The version a client starts with (RFC 9000 §6).</summary>
    public uint InitialVersion { get; init; } = QuicVersion.V1;

    /// <summary>Versions acceptable, most preferred first; used for compatible version negotiation (RFC 9368).</summary>
    public IReadOnlyList<uint> Versions { get; init; } = [QuicVersion.V1, QuicVersion.V2, QuicVersion.V2Draft];

    /// <summary>max_idle_timeout (RFC 9000 §10.1).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a handshake may take before the connection is dropped silently (client and server).
    /// Servers keep it short so half-open handshakes cannot pile up; zero or negative disables it.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>initial_max_data: connection flow-control window we start with.</summary>
    public long InitialMaxData { get; init; } = 4 << 20;

    /// <summary>initial_max_stream_data_* for every stream kind.</summary>
    public long InitialMaxStreamData { get; init; } = 1 << 20;

    /// <summary>Largest window auto-tuning may grow a stream's receive window to.</summary>
    public long MaxStreamWindow { get; init; } = 16 << 20;

    /// <summary>Largest window auto-tuning may grow the connection's receive window to.</summary>
    public long MaxConnectionWindow { get; init; } = 24 << 20;

    /// <summary>initial_max_streams_bidi.</summary>
    public long MaxBidirectionalStreams { get; init; } = 100;

    /// <summary>initial_max_streams_uni.</summary>
    public long MaxUnidirectionalStreams { get; init; } = 100;

    /// <summary>active_connection_id_limit we advertise (RFC 9000 §5.1.1), at least 2.</summary>
    public int ActiveConnectionIdLimit { get; init; } = 4;

    /// <summary>max_ack_delay we advertise (RFC 9000 §18.2).</summary>
    public TimeSpan MaxAckDelay { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>ack_delay_exponent we advertise.</summary>
    public int AckDelayExponent { get; init; } = 3;

    /// <summary>
    /// Largest UDP payload we send, and accept (max_udp_payload_size): the ceiling of path MTU discovery. 1452 fits
    /// a 1500-byte Ethernet MTU under IPv6 and IPv4 headers.
    /// </summary>
    public int MaxUdpPayloadSize { get; init; } = 1452;

    /// <summary>
    /// Path MTU discovery (DPLPMTUD, RFC 9000 §14.3): after the handshake each path probes for datagrams up to
    /// <see cref="MaxUdpPayloadSize"/> (the first probe tries it at once) and falls back to 1,200 bytes when the path
    /// stops carrying the size in use. Off: every datagram stays at 1,200 bytes (RFC 9000 §14). Default on.
    /// </summary>
    public bool PathMtuDiscovery { get; init; } = true;

    /// <summary>Length of the connection IDs we issue.</summary>
    public int ConnectionIdLength { get; init; } = 8;

    public CongestionControlAlgorithm CongestionControl { get; init; } = CongestionControlAlgorithm.Cubic;

    /// <summary>Mark packets ECT(0) and validate ECN on the path (RFC 9000 §13.4).</summary>
    public bool EnableEcn { get; init; } = true;

    /// <summary>max_datagram_frame_size (RFC 9221 §3); 0 disables DATAGRAM frames.</summary>
    public int MaxDatagramFrameSize { get; init; }

    /// <summary>
    /// Multipath QUIC (draft-ietf-quic-multipath-21): the largest path ID this side accepts, sent as
    /// initial_max_path_id. Null, the default, leaves multipath off: the connection is single-path QUIC, as it is
    /// with every peer that does not offer the extension. At most <see cref="MaxPathIdLimit"/>; needs connection
    /// IDs of non-zero length.
    /// </summary>
    public uint? MaxPathId { get; init; }

    /// <summary>
    /// Multipath: how long nothing sent on a path may go unacknowledged, over at least three PTOs in a row, before the
    /// path is abandoned as broken (PATH_UNSTABLE_OR_POOR) while another path works. Shorter outages only move the
    /// data to the other paths: PINGs keep probing, and the path is used again once one is answered. Default 1 s;
    /// at least 100 ms.
    /// </summary>
    public TimeSpan PathFailureTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest <see cref="MaxPathId"/> accepted: 16 paths' state at most per connection.</summary>
    public const uint MaxPathIdLimit = 15;

    /// <summary>How a multipath connection spreads its packets over validated paths (ignored with one path).</summary>
    public PathSchedulerKind PathScheduler { get; init; } = PathSchedulerKind.LowestRtt;

    /// <summary>disable_active_migration (RFC 9000 §18.2).</summary>
    public bool DisableActiveMigration { get; init; }

    /// <summary>Extra transport parameters to send (ids the core does not define), for extensions and plugins.</summary>
    public IReadOnlyList<(ulong Id, byte[] Value)> ExtraTransportParameters { get; init; } = [];

    /// <summary>
    /// Client: a token from a NEW_TOKEN frame of an earlier connection to the same server
    /// (<see cref="QuicConnectionCore.ReceivedNewToken"/>), sent in the first Initial so the server can
    /// skip address validation (RFC 9000 §8.1.3). Null sends none.
    /// </summary>
    public byte[]? AddressToken { get; init; }

    /// <summary>
    /// A seeded generator for simulations only (connection IDs, PATH_CHALLENGE data and packet-number
    /// skips become predictable). Null, the default, uses the operating system's CSPRNG (<see cref="RandomSource.Secure"/>).
    /// </summary>
    public Random? Random { get; init; }

    /// <summary>
    /// Writes a qlog of the connection (<see cref="Diagnostics.QlogTrace"/>, JSON-SEQ, <c>ODCID_side.sqlog</c>) into
    /// this directory; null (default) writes none.
    /// </summary>
    public string? QlogDirectory { get; init; }

    /// <summary>
    /// The qlog's format: JSON-SEQ <c>.sqlog</c> (default) or Pliant's binary <c>.pqlog</c>
    /// (<see cref="Diagnostics.QlogBinaryFile"/>, cheaper to write; <c>pliant qlog convert</c> makes the JSON-SEQ).
    /// </summary>
    public Diagnostics.QlogFormat QlogFormat { get; init; }
}
