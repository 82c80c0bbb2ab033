using System.Net;

namespace Pliant.Quic.Connection;

/// <summary>Settings for a <see cref="QuicEndpointCore"/>.</summary>
public sealed class QuicEndpointOptions
{
    /// <summary>Options for connections the endpoint accepts; null for a client-only endpoint.</summary>
    public QuicConnectionOptions? Server { get; init; }

    /// <summary>Send a Retry before accepting a connection (address validation, RFC 9000 §8.1.2).</summary>
    public bool RequireRetry { get; init; }

    /// <summary>Key for stateless reset tokens and address-validation tokens (32 bytes); random if null.</summary>
    public byte[]? StaticKey { get; init; }

    /// <summary>Largest number of connections accepted at once; further Initials are refused.</summary>
    public int MaxConnections { get; init; } = 10_000;
}

/// <summary>
/// Everything behind one UDP socket, sans-IO: routes datagrams to connections by connection ID,
/// accepts new ones (server), answers with Version Negotiation, Retry and Stateless Reset packets,
/// and multiplexes the connections' output. The driver calls it from one thread (or under a lock).
/// </summary>
public sealed partial class QuicEndpointCore
{
    public QuicEndpointCore(QuicEndpointOptions options) => Options = options;

    public QuicEndpointOptions Options { get; }

    /// <summary>Starts a client connection to <paramref name="remote"/>.</summary>
    public QuicConnectionCore Connect(long nowUs, QuicConnectionOptions options, IPEndPoint remote) =>
        throw new NotImplementedException();

    /// <summary>Feeds one received datagram.</summary>
    public void HandleDatagram(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn) =>
        throw new NotImplementedException();

    /// <summary>Runs every timer due at <paramref name="nowUs"/>.</summary>
    public void HandleTimeout(long nowUs) => throw new NotImplementedException();

    /// <summary>Next datagram(s) to send from any connection (or the endpoint itself).</summary>
    public bool PollTransmit(long nowUs, Span<byte> buffer, int maxSegments, out Transmit transmit) =>
        throw new NotImplementedException();

    /// <summary>Earliest timer of any connection, or null.</summary>
    public long? PollTimeout() => throw new NotImplementedException();

    /// <summary>Takes a newly accepted server connection (its handshake may still be running).</summary>
    public bool TryAccept(out QuicConnectionCore connection) => throw new NotImplementedException();

    /// <summary>Connections that have events waiting, for the driver to dispatch.</summary>
    public bool TryPollConnectionWithEvents(out QuicConnectionCore connection) => throw new NotImplementedException();
}
