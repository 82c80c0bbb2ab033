using System.Net;
using Pliant.Quic;
using Pliant.Quic.Crypto;
using Pliant.Quic.Tls;

namespace Pliant.Net;

/// <summary>Settings for <see cref="QuicConnection.ConnectAsync"/>.</summary>
public sealed class QuicClientConnectionOptions : QuicConnectionOptions
{
    /// <summary>The server to connect to.</summary>
    public required IPEndPoint RemoteEndPoint { get; set; }

    /// <summary>Local address to bind; null picks any address of the remote's family and a free port.</summary>
    public IPEndPoint? LocalEndPoint { get; set; }

    /// <summary>
    /// Host name sent in SNI and matched against the certificate's subjectAltNames. Null sends no SNI;
    /// with <see cref="CertificateValidationMode.SystemRoots"/> the certificate must then name the IP
    /// address of <see cref="RemoteEndPoint"/> (an iPAddress subjectAltName), so an unnamed connection never
    /// accepts just any publicly trusted certificate.
    /// </summary>
    public string? ServerName { get; set; }

    /// <summary>ALPN protocols offered, most preferred first (at least one; RFC 9001 §8.1).</summary>
    public required IReadOnlyList<string> ApplicationProtocols { get; set; }

    /// <summary>How the server certificate is checked (system roots by default).</summary>
    public CertificateValidation CertificateValidation { get; set; } = CertificateValidation.System;

    /// <summary>A ticket from an earlier connection to resume; see <see cref="QuicConnection.SessionTicketReceived"/>.</summary>
    public TlsSessionTicket? ResumptionTicket { get; set; }

    /// <summary>Send 0-RTT data when <see cref="ResumptionTicket"/> allows it.</summary>
    public bool EnableEarlyData { get; set; }

    /// <summary>Bytes of a TLS padding extension in the ClientHello (<see cref="TlsClientOptions.ClientHelloPadding"/>); 0: none.</summary>
    public int ClientHelloPadding { get; set; }

    /// <summary>The version the client starts with.</summary>
    public uint Version { get; set; } = QuicVersion.V1;

    /// <summary>Versions acceptable for compatible version negotiation (RFC 9368); null keeps the default.</summary>
    public IReadOnlyList<uint>? Versions { get; set; }

    /// <summary>Restricts the TLS cipher suites offered; null offers all.</summary>
    public IReadOnlyList<CipherSuite>? CipherSuites { get; set; }

    /// <summary>Restricts the key exchange groups offered; null offers all.</summary>
    public IReadOnlyList<NamedGroup>? Groups { get; set; }

    /// <summary>Test seam: builds the endpoint core instead of <see cref="Pliant.Quic.Connection.QuicEndpointCore"/>.</summary>
    internal Func<Pliant.Quic.Connection.QuicEndpointOptions, Internal.Core.IEndpointCore>? EndpointFactory { get; set; }

    /// <summary>Use <see cref="System.Net.Sockets.Socket"/> even where the libc socket is available (tests, diagnosis).</summary>
    internal bool UseManagedSocket { get; set; }
}
