namespace Pliant.Quic.Connection;

/// <summary>
/// What a server admits before it refuses, asks for address validation, or drops (issue 11; the
/// reasons for each default are in docs/security.md). Counts are of connections held by one
/// endpoint (one UDP socket). A "handshake in progress" is a server connection whose handshake has
/// not completed; its memory is what an attacker who spoofs source addresses can make us hold.
/// </summary>
public sealed class ServerLimits
{
    /// <summary>Connections held at once (any state); beyond it new clients get CONNECTION_REFUSED (RFC 9000 §5.2.2).</summary>
    public int MaxConnections { get; init; } = 50_000;

    /// <summary>
    /// Connections from one IP address at once. High by default: many clients share one address
    /// behind NATs, and a loopback load test must be able to open 20,000 connections.
    /// </summary>
    public int MaxConnectionsPerAddress { get; init; } = 20_000;

    /// <summary>Handshakes in progress at once; beyond it new clients get CONNECTION_REFUSED.</summary>
    public int MaxHandshakes { get; init; } = 4_096;

    /// <summary>Handshakes in progress from one IP address at once; beyond it CONNECTION_REFUSED.</summary>
    public int MaxHandshakesPerAddress { get; init; } = 1_024;

    /// <summary>
    /// Handshakes in progress above which a client that has not proven its address (no valid token)
    /// is sent a Retry first (RFC 9000 §8.1.2), so spoofed Initials cannot make the server hold more
    /// state; below it again, Retry stops. 0 always sends Retry (as <see cref="QuicEndpointOptions.RequireRetry"/>).
    /// </summary>
    public int RetryThreshold { get; init; } = 256;

    /// <summary>
    /// Stateless answers per second (Version Negotiation, Retry, Stateless Reset, refusals); each is
    /// smaller than the datagram it answers, and this caps what a flood can make the endpoint send.
    /// </summary>
    public int StatelessResponsesPerSecond { get; init; } = 10_000;

    /// <summary>
    /// This budget shared evenly by <paramref name="parts"/> endpoints serving one port (several drivers): each
    /// limit divided, at least 1; a 0 that means "always" or "none" (<see cref="RetryThreshold"/>,
    /// <see cref="StatelessResponsesPerSecond"/>) stays 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> is less than 1.</exception>
    public ServerLimits DividedAmong(int parts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        static int Share(int total, int parts) => total == 0 ? 0 : Math.Max(1, total / parts);
        return new ServerLimits
        {
            MaxConnections = Share(MaxConnections, parts),
            MaxConnectionsPerAddress = Share(MaxConnectionsPerAddress, parts),
            MaxHandshakes = Share(MaxHandshakes, parts),
            MaxHandshakesPerAddress = Share(MaxHandshakesPerAddress, parts),
            RetryThreshold = Share(RetryThreshold, parts),
            StatelessResponsesPerSecond = Share(StatelessResponsesPerSecond, parts),
        };
    }

    /// <summary>The defaults.</summary>
    public static ServerLimits Default { get; } = new();

    internal void Validate()
    {
        if (MaxConnections < 1 || MaxConnectionsPerAddress < 1 || MaxHandshakes < 1 || MaxHandshakesPerAddress < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxConnections), "connection and handshake limits must be at least 1");
        if (RetryThreshold < 0) throw new ArgumentOutOfRangeException(nameof(RetryThreshold));
        if (StatelessResponsesPerSecond < 0) throw new ArgumentOutOfRangeException(nameof(StatelessResponsesPerSecond));
    }
}
