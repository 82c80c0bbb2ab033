using System.Security.Cryptography.X509Certificates;
using Pliant.Quic.Connection;
using Pliant.Quic.Tls;
using Pliant.Quic.Wire;

namespace Pliant.Fuzz;

/// <summary>
/// Everything secret in the harnesses is fixed, so a crash reproduces from its file alone: one
/// certificate (P-256, self-signed for "localhost", valid until 2126, made once with openssl for the
/// fuzzer and used nowhere else), one static key, one ticket key, seeded randomness.
/// </summary>
public static class FixedKeys
{
    private const string CertificatePem = """
        -----BEGIN CERTIFICATE-----
        MIIBlDCCATugAwIBAgIUJOXpU9dDbq4qCdxWLJ514j7qXvQwCgYIKoZIzj0EAwIw
        FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNDE2NTIxNFoYDzIxMjYxMTEw
        MTY1MjE0WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
        PQMBBwNCAAQhnxjKCtrK8DbNgpA9RlniJtDK363/E9ppkEuiXYhJmaIHpW64aGAx
        rgaTNdpzDD7PGlntNrmExTpDM/eRonNRo2kwZzAdBgNVHQ4EFgQUmHwPFm+6X/l/
        RCBt8i6oVPw1DdMwHwYDVR0jBBgwFoAUmHwPFm+6X/l/RCBt8i6oVPw1DdMwDwYD
        VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID
        RwAwRAIgL4TIj+LOtsdQkjqyGz3iYyYLqPD2ZD6sfPdvLzVeIv4CIBZ3TRrzbJXK
        FG/ZjXfWRUNyms7S5lhoGVMThzbAQD6w
        -----END CERTIFICATE-----
        """;

    private const string KeyPem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgRwR9jX8EysE0asdp
        iosHsVv+fsT/VrAT2a67x8TT+QChRANCAAQhnxjKCtrK8DbNgpA9RlniJtDK363/
        E9ppkEuiXYhJmaIHpW64aGAxrgaTNdpzDD7PGlntNrmExTpDM/eRonNR
        -----END PRIVATE KEY-----
        """;

    private static readonly Lazy<X509Certificate2> s_certificate = new(() => X509Certificate2.CreateFromPem(CertificatePem, KeyPem));

    /// <summary>The server certificate with its private key.</summary>
    public static X509Certificate2 Certificate => s_certificate.Value;

    /// <summary>Endpoint static key (address tokens, stateless reset tokens).</summary>
    public static byte[] StaticKey { get; } = Enumerable.Range(0, 32).Select(i => (byte)(0xA0 + i)).ToArray();

    /// <summary>Session ticket key, so PSK binders and tickets reach their parsers.</summary>
    public static byte[] TicketKey { get; } = Enumerable.Range(0, 32).Select(i => (byte)(0x30 + i)).ToArray();

    /// <summary>A server TLS configuration: both groups, all suites, 0-RTT on (more parser paths).</summary>
    public static TlsServerOptions TlsServer() => new()
    {
        Certificate = Certificate,
        TicketKey = TicketKey,
        EnableEarlyData = true,
        ApplicationProtocols = ["h3", "hq-interop"],
    };

    /// <summary>A client TLS configuration that pins <see cref="Certificate"/> (so certificates are parsed and checked).</summary>
    public static TlsClientOptions TlsClient() => new()
    {
        ServerName = "localhost",
        Validation = CertificateValidation.Pin(System.Security.Cryptography.SHA256.HashData(Certificate.RawData)),
        ApplicationProtocols = ["h3"],
    };

    /// <summary>A server endpoint with seeded randomness and fixed keys; small limits keep each run cheap.</summary>
    public static QuicEndpointOptions ServerEndpoint(bool retry = false) => new()
    {
        Server = new QuicConnectionOptions
        {
            Server = TlsServer(),
            Random = new Random(1),
            MaxDatagramFrameSize = 1200,
        },
        RequireRetry = retry,
        StaticKey = StaticKey,
        Random = new Random(2),
        Time = FixedTime.Instance,
        // Small, so admission paths run too: Retry by itself past 4 handshakes, CONNECTION_REFUSED past 8.
        Limits = new ServerLimits { MaxConnections = 8, MaxConnectionsPerAddress = 8, MaxHandshakes = 8, MaxHandshakesPerAddress = 8, RetryThreshold = 4 },
    };

    /// <summary>A wall clock stopped at 2030-01-01 (address-token lifetimes), so runs do not depend on the date.</summary>
    private sealed class FixedTime : TimeProvider
    {
        public static readonly FixedTime Instance = new();

        public override DateTimeOffset GetUtcNow() => new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>
    /// Encoded transport parameters as a QUIC client or server would send them; the
    /// initial_source_connection_id is <paramref name="initialScid"/> (RFC 9000 §7.3 checks it against the header).
    /// </summary>
    public static byte[] TransportParameters(bool server, byte[]? initialScid = null)
    {
        var tp = new TransportParameters
        {
            MaxIdleTimeoutMs = 30_000,
            InitialMaxData = 1 << 20,
            InitialMaxStreamDataBidiLocal = 1 << 16,
            InitialMaxStreamDataBidiRemote = 1 << 16,
            InitialMaxStreamDataUni = 1 << 16,
            InitialMaxStreamsBidi = 100,
            InitialMaxStreamsUni = 100,
            InitialSourceConnectionId = new ConnectionId(initialScid ?? [1, 2, 3, 4, 5, 6, 7, 8]),
            MaxDatagramFrameSize = 1200,
        };
        if (server)
        {
            tp.OriginalDestinationConnectionId = new ConnectionId([8, 7, 6, 5, 4, 3, 2, 1]);
            tp.StatelessResetToken = new byte[16];
        }
        return tp.Encode();
    }
}
