using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Pliant.Quic.Connection;
using Pliant.Quic.Crypto;
using Pliant.Quic.Tls;

namespace Pliant.Net;

/// <summary>Settings for <see cref="QuicListener.ListenAsync"/>.</summary>
public sealed class QuicListenerOptions
{
    /// <summary>Address and port to listen on (port 0 picks a free one; [::] is dual-stack).</summary>
    public required IPEndPoint ListenEndPoint { get; set; }

    /// <summary>ALPN protocols accepted, most preferred first.</summary>
    public required IReadOnlyList<string> ApplicationProtocols { get; set; }

    /// <summary>The server certificate with its private key (see <see cref="QuicServerCertificates"/>).</summary>
    public required X509Certificate2 ServerCertificate { get; set; }

    /// <summary>Intermediate certificates sent after the leaf.</summary>
    public X509Certificate2Collection? ServerCertificateChain { get; set; }

    /// <summary>Settings for each accepted connection.</summary>
    public QuicServerConnectionOptions ConnectionOptions { get; set; } = new();

    /// <summary>Validate client addresses with a Retry before accepting (RFC 9000 §8.1.2).</summary>
    public bool RequireRetry { get; set; }

    /// <summary>Key (32 bytes) sealing session tickets; null disables resumption.</summary>
    public byte[]? TicketKey { get; set; }

    /// <summary>Accept 0-RTT data from resuming clients (needs <see cref="TicketKey"/>).</summary>
    public bool EnableEarlyData { get; set; }

    /// <summary>
    /// Secret (32 bytes) from which the keys for stateless reset tokens and address-validation tokens
    /// are derived; share it between the servers behind one address. Random if null.
    /// </summary>
    public byte[]? StaticKey { get; set; }

    /// <summary>
    /// Admission limits: connections and handshakes in progress (in all and per client address), when
    /// to switch to Retry by itself, stateless answers per second. Defaults in docs/security.md.
    /// </summary>
    public ServerLimits Limits { get; set; } = ServerLimits.Default;

    /// <summary>Handshaken connections waiting for <see cref="QuicListener.AcceptConnectionAsync"/>; more are refused.</summary>
    public int ListenBacklog { get; set; } = 512;

    /// <summary>Restricts the TLS cipher suites accepted; null accepts all.</summary>
    public IReadOnlyList<CipherSuite>? CipherSuites { get; set; }

    /// <summary>Restricts the key exchange groups accepted; null accepts all.</summary>
    public IReadOnlyList<NamedGroup>? Groups { get; set; }

    /// <summary>
    /// Makes the connection IDs the listener issues — e.g. QUIC-LB routable IDs
    /// (<c>Pliant.Router.QuicLb.QuicLbConnectionIdGenerator</c>) so a load balancer can route every packet of a
    /// connection, migrations included, to this server. Null: random 8-byte IDs.
    /// </summary>
    public IConnectionIdGenerator? ConnectionIdGenerator { get; set; }

    /// <summary>
    /// The listener sits behind a Pliant router (<c>pliant route</c>) at this address, which forwards each client
    /// datagram behind a small header naming the client (<see cref="Pliant.Quic.Wire.ForwardingHeader"/>,
    /// docs/routing.md); the listener answers the same way, so the router keeps no per-connection state. Only
    /// datagrams from this address (and port; 0 = any port, replies then go to the last one seen) are read,
    /// everything else is dropped and counted (<see cref="QuicListener.ForwardingRejected"/>). Null: clients
    /// send directly.
    /// </summary>
    public IPEndPoint? ForwardedBy { get; set; }

    /// <summary>
    /// Endpoint drivers (threads) sharing the port, each with its own socket of one SO_REUSEPORT group and
    /// its own connections; the kernel hands each datagram to the driver its Destination Connection ID
    /// names (Linux; bench/README.md "Several drivers"). 1, the default, is one socket and one thread.
    /// More than 1 needs the native Linux socket and is not combined with <see cref="ConnectionIdGenerator"/>
    /// or <see cref="ForwardedBy"/>. The admission <see cref="Limits"/> are shared out evenly among them.
    /// </summary>
    public int Drivers { get; set; } = 1;

    /// <summary>
    /// With several <see cref="Drivers"/>: a driver whose load would fit on the first driver's thread hands its socket
    /// to that thread and sleeps (its datagrams still go to its own socket and connections, only read on the other
    /// thread); it gets its own thread back as soon as the first driver's thread uses more than 70 % of a core.
    /// True, the default: threads wake only when the load needs them (a second thread waking for half the datagrams
    /// cost ~25 % more CPU per connection on two shared cores; bench/README.md "Two drivers"). False: every driver
    /// always runs on its own thread.
    /// </summary>
    public bool ParkIdleDrivers { get; set; } = true;

    /// <summary>Where the listener's driver logs; null uses <see cref="QuicConnectionOptions.LoggerFactory"/> of <see cref="ConnectionOptions"/>.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Test seam: builds the endpoint core instead of <see cref="Pliant.Quic.Connection.QuicEndpointCore"/>.</summary>
    internal Func<Pliant.Quic.Connection.QuicEndpointOptions, Internal.Core.IEndpointCore>? EndpointFactory { get; set; }

    /// <summary>Use <see cref="System.Net.Sockets.Socket"/> even where the libc socket is available (tests, diagnosis).</summary>
    internal bool UseManagedSocket { get; set; }
}
