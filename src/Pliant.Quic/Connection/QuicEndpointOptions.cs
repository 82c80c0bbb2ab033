namespace Pliant.Quic.Connection;

/// <summary>Settings for a <see cref="QuicEndpointCore"/>.</summary>
public sealed class QuicEndpointOptions
{
    /// <summary>Options for connections the endpoint accepts; null for a client-only endpoint.</summary>
    public QuicConnectionOptions? Server { get; init; }

    /// <summary>
    /// Send a Retry to every client without a valid token before accepting it (address validation,
    /// RFC 9000 §8.1.2). Without it the server still switches to Retry by itself under load
    /// (<see cref="ServerLimits.RetryThreshold"/>).
    /// </summary>
    public bool RequireRetry { get; init; }

    /// <summary>
    /// Secret (at least 16 bytes, 32 recommended) from which the keys for address-validation tokens and
    /// for stateless reset tokens are derived (separately, so neither use weakens the other); share it
    /// between the servers of a cluster. Random per endpoint if null.
    /// </summary>
    public byte[]? StaticKey { get; init; }

    /// <summary>Admission limits of a server (connections, handshakes in progress, stateless answers).</summary>
    public ServerLimits Limits { get; init; } = ServerLimits.Default;

    /// <summary>Length of the connection IDs this endpoint issues (routing needs one length).</summary>
    public int ConnectionIdLength { get; init; } = 8;

    /// <summary>
    /// Makes the connection IDs the endpoint issues (e.g. QUIC-LB routable IDs); random ones if null. Its
    /// <see cref="IConnectionIdGenerator.Length"/> must equal <see cref="ConnectionIdLength"/>.
    /// </summary>
    public IConnectionIdGenerator? ConnectionIdGenerator { get; init; }

    /// <summary>
    /// A seeded generator for simulations only (Retry connection IDs, stateless reset filler become
    /// predictable). Null, the default, uses the operating system's CSPRNG.
    /// </summary>
    public Random? Random { get; init; }

    /// <summary>Wall clock for address-validation token lifetimes (tests move it).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>Counters of a <see cref="QuicEndpointCore"/>: what it dropped, refused and answered without a connection.</summary>
public sealed class EndpointStatistics
{
    /// <summary>Datagrams that reached no connection, for any of the reasons below or others (unknown CID, client-only endpoint, …).</summary>
    public long DroppedDatagrams;

    /// <summary>Datagrams too short or with a header that does not parse.</summary>
    public long Unparseable;

    /// <summary>Client Initials whose first packet did not decrypt, or carried no ClientHello: no state was created.</summary>
    public long JunkInitials;

    /// <summary>Version Negotiation packets sent.</summary>
    public long VersionNegotiationSent;

    /// <summary>Retry packets sent (required by options, or because handshakes in progress passed the threshold).</summary>
    public long RetriesSent;

    /// <summary>Clients refused with CONNECTION_REFUSED (a connection or handshake limit).</summary>
    public long Refused;

    /// <summary>Clients closed with INVALID_TOKEN (a Retry token that did not validate, RFC 9000 §8.1.2).</summary>
    public long InvalidTokens;

    /// <summary>Stateless Reset packets sent.</summary>
    public long StatelessResetsSent;

    /// <summary>Stateless answers not sent because <see cref="ServerLimits.StatelessResponsesPerSecond"/> was reached.</summary>
    public long StatelessResponsesLimited;

    /// <summary>Connections closed because code inside them failed unexpectedly (a bug; INTERNAL_ERROR to the peer).</summary>
    public long ConnectionsFaulted;

    /// <summary>Server connections accepted.</summary>
    public long Accepted;

    /// <summary>
    /// Connections that had output found only by the once-a-second safety sweep: something changed them
    /// without reporting activity to the endpoint (a bug; it costs that connection up to a second). 0 normally.
    /// </summary>
    public long MissedActivations;
}
