using Pliant.Quic;
using Pliant.Quic.Connection;
using Pliant.Quic.Tls;

namespace Pliant.Router.Tests.Support;

/// <summary>Seeded core options for simulated clients and servers.</summary>
internal static class Options
{
    public static QuicEndpointOptions Server(int seed, IConnectionIdGenerator? generator = null, bool retry = false, IReadOnlyList<string>? alpn = null) => new()
    {
        Server = new QuicConnectionOptions
        {
            Server = new TlsServerOptions { Certificate = Certificates.Server, ApplicationProtocols = alpn ?? ["h3"] },
            Random = new Random(seed),
        },
        RequireRetry = retry,
        Random = new Random(seed + 100),
        StaticKey = new byte[32],
        ConnectionIdGenerator = generator,
        ConnectionIdLength = generator?.Length ?? 8,
    };

    public static QuicEndpointOptions ClientEndpoint(int seed) => new() { Random = new Random(seed + 1) };

    /// <summary>A client for <paramref name="serverName"/>; <paramref name="padding"/> bytes of a reserved transport parameter make the ClientHello span several Initial packets.</summary>
    public static QuicConnectionOptions Client(int seed, string? serverName = "a.example", IReadOnlyList<string>? alpn = null,
        uint version = QuicVersion.V1, int padding = 0) => new()
    {
        Client = new TlsClientOptions
        {
            ServerName = serverName,
            ApplicationProtocols = alpn ?? ["h3"],
            Validation = CertificateValidation.Insecure,
        },
        Random = new Random(seed),
        InitialVersion = version,
        Versions = [version],
        // RFC 9000 §18.1: ids of the form 31 * N + 27 are reserved and must be ignored.
        ExtraTransportParameters = padding > 0 ? [(31UL * 7 + 27, new byte[padding])] : [],
    };
}
