using System.Security.Cryptography.X509Certificates;
using Pliant.Quic.Crypto;

namespace Pliant.Quic.Tls;

/// <summary>Key exchange groups (RFC 8446 §4.2.7).</summary>
public enum NamedGroup : ushort
{
    Secp256r1 = 0x0017,
    X25519 = 0x001d,
}

/// <summary>How a client checks the server's certificate.</summary>
public enum CertificateValidationMode
{
    /// <summary>
    /// Chain to the system's trusted roots (plus <see cref="CertificateValidation.ExtraRoots"/>) and match
    /// <see cref="TlsClientOptions.ServerName"/>, which is then required, against the leaf's subjectAltNames:
    /// dNSName with a whole-leftmost-label wildcard, iPAddress for an IP literal, never the Common Name (RFC 9525). The default.
    /// </summary>
    SystemRoots,
    /// <summary>Accept only a leaf certificate whose DER encoding has one of the pinned SHA-256 hashes.</summary>
    Pinned,
    /// <summary>Accept any certificate. For tests and loopback only; says so loudly in the CLI.</summary>
    Insecure,
}

/// <summary>A certificate validation policy for the client side of TLS.</summary>
public sealed class CertificateValidation
{
    public CertificateValidationMode Mode { get; init; } = CertificateValidationMode.SystemRoots;

    /// <summary>SHA-256 hashes of acceptable leaf certificates (DER), for <see cref="CertificateValidationMode.Pinned"/>.</summary>
    public IReadOnlyList<byte[]> PinnedSha256 { get; init; } = [];

    /// <summary>Extra trusted roots added to the system store (optional), for <see cref="CertificateValidationMode.SystemRoots"/>.</summary>
    public X509Certificate2Collection? ExtraRoots { get; init; }

    public static CertificateValidation System { get; } = new();

    public static CertificateValidation Insecure { get; } = new() { Mode = CertificateValidationMode.Insecure };

    public static CertificateValidation Pin(params byte[][] sha256) => new() { Mode = CertificateValidationMode.Pinned, PinnedSha256 = sha256 };
}

/// <summary>Options for the client side of a TLS 1.3 handshake carried by QUIC.</summary>
public sealed class TlsClientOptions
{
    /// <summary>
    /// The server's host name (sent in SNI) or IP address (not sent; RFC 6066 §3), matched against the
    /// certificate's subjectAltNames (RFC 9525; see <see cref="CertificateValidationMode.SystemRoots"/>).
    /// Required with <see cref="CertificateValidationMode.SystemRoots"/> (<see cref="TlsHandshake.CreateClient"/>
    /// throws <see cref="ArgumentException"/> without it); optional with a pin or <see cref="CertificateValidationMode.Insecure"/>.
    /// </summary>
    public string? ServerName { get; init; }

    /// <summary>ALPN protocols offered, most preferred first (RFC 9001 §8.1 requires ALPN).</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; init; } = ["h3"];

    public CertificateValidation Validation { get; init; } = CertificateValidation.System;

    /// <summary>Cipher suites offered, most preferred first.</summary>
    public IReadOnlyList<CipherSuite> CipherSuites { get; init; } =
        [CipherSuite.Aes128GcmSha256, CipherSuite.Aes256GcmSha384, CipherSuite.ChaCha20Poly1305Sha256];

    /// <summary>Groups offered; a key share is sent for the first one (HelloRetryRequest covers the rest).</summary>
    public IReadOnlyList<NamedGroup> Groups { get; init; } = [NamedGroup.X25519, NamedGroup.Secp256r1];

    /// <summary>A ticket from an earlier connection to resume (RFC 8446 §2.2), or null.</summary>
    public TlsSessionTicket? ResumptionTicket { get; init; }

    /// <summary>Send 0-RTT data when <see cref="ResumptionTicket"/> allows it.</summary>
    public bool EnableEarlyData { get; init; }

    /// <summary>
    /// Bytes of a padding extension (RFC 7685) added to the ClientHello, 0 to <see cref="MaxClientHelloPadding"/>: makes the
    /// ClientHello span several Initial packets, as large post-quantum key shares do (tests of routers and servers).
    /// </summary>
    public int ClientHelloPadding { get; init; }

    /// <summary>The largest <see cref="ClientHelloPadding"/>.</summary>
    public const int MaxClientHelloPadding = 16_000;

    /// <summary>Wall clock for ticket ages and certificate validity.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>Options for the server side of a TLS 1.3 handshake carried by QUIC.</summary>
public sealed class TlsServerOptions
{
    /// <summary>The server's certificate with its private key (ECDSA P-256 or RSA).</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>Intermediate certificates sent after the leaf (optional).</summary>
    public X509Certificate2Collection? Chain { get; init; }

    /// <summary>ALPN protocols accepted, most preferred first. No overlap ends the handshake with no_application_protocol.</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; init; } = ["h3"];

    public IReadOnlyList<CipherSuite> CipherSuites { get; init; } =
        [CipherSuite.Aes128GcmSha256, CipherSuite.Aes256GcmSha384, CipherSuite.ChaCha20Poly1305Sha256];

    public IReadOnlyList<NamedGroup> Groups { get; init; } = [NamedGroup.X25519, NamedGroup.Secp256r1];

    /// <summary>Key that seals session tickets (32 bytes); null disables resumption. Share it across connections.</summary>
    public byte[]? TicketKey { get; init; }

    /// <summary>
    /// Accept 0-RTT from clients that resume, at most once per ClientHello and only when fresh (see
    /// <see cref="AntiReplay"/>). Early data can still be replayed across servers that share the ticket key,
    /// and a client may retry it: accept only requests that are safe to repeat (HTTP/3 answers others 425).
    /// </summary>
    public bool EnableEarlyData { get; init; }

    /// <summary>
    /// The strike register that refuses replayed or stale 0-RTT ClientHellos (RFC 8446 §8). Null (the
    /// default) uses <see cref="ZeroRttAntiReplay.ForTicketKey"/>: one register for every server holding the
    /// same <see cref="TicketKey"/> array. Set one explicitly to share it more widely or to size it.
    /// </summary>
    public ZeroRttAntiReplay? AntiReplay { get; init; }

    public TimeSpan TicketLifetime { get; init; } = TimeSpan.FromHours(24);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// What a client keeps from a connection to resume a later one: the ticket, the resumption
/// secret, and (for 0-RTT) the server's transport parameters and ALPN (RFC 9001 §4.6.1).
/// </summary>
public sealed class TlsSessionTicket
{
    public required byte[] Ticket { get; init; }
    public required byte[] ResumptionSecret { get; init; }
    public required CipherSuite Suite { get; init; }
    public required uint AgeAdd { get; init; }
    public required DateTimeOffset IssuedAt { get; init; }
    public required TimeSpan Lifetime { get; init; }
    public uint MaxEarlyDataSize { get; init; }
    public string? ServerName { get; init; }
    public string? ApplicationProtocol { get; init; }
    /// <summary>The server's transport parameters (encoded) remembered for 0-RTT; set by the connection.</summary>
    public byte[]? TransportParameters { get; set; }
}
