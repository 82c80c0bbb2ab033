using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pliant.Quic.Connection;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Simulation;

/// <summary>Ready-made certificates and options for simulated connections.</summary>
public static class SimulationSetup
{
    private static readonly Lazy<X509Certificate2> EcdsaCert = new(() => MakeCertificate(rsa: false));

    public static X509Certificate2 ServerCertificate => EcdsaCert.Value;

    public static X509Certificate2 MakeCertificate(bool rsa)
    {
        var name = new X500DistinguishedName("CN=localhost");
        CertificateRequest request;
        if (rsa)
        {
            request = new CertificateRequest(name, RSA.Create(2048), HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        }
        else
        {
            request = new CertificateRequest(name, ECDsa.Create(ECCurve.NamedCurves.nistP256), HashAlgorithmName.SHA256);
        }
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    public static QuicConnectionOptions ServerOptions(int seed, Action<TlsServerOptionsBuilder>? tls = null,
        CongestionControlAlgorithm cc = CongestionControlAlgorithm.Cubic, int maxDatagramFrameSize = 0)
    {
        var b = new TlsServerOptionsBuilder();
        tls?.Invoke(b);
        return new QuicConnectionOptions
        {
            Server = b.Build(),
            Random = new Random(seed),
            CongestionControl = cc,
            MaxDatagramFrameSize = maxDatagramFrameSize,
        };
    }

    public static QuicConnectionOptions ClientOptions(int seed, TlsClientOptions? tls = null,
        CongestionControlAlgorithm cc = CongestionControlAlgorithm.Cubic, uint version = QuicVersion.V1,
        int maxDatagramFrameSize = 0, bool pathMtuDiscovery = true) => new()
    {
        Client = tls ?? new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure },
        PathMtuDiscovery = pathMtuDiscovery,
        Random = new Random(seed),
        CongestionControl = cc,
        InitialVersion = version,
        Versions = [version],
        MaxDatagramFrameSize = maxDatagramFrameSize,
    };

    public static QuicEndpointOptions ServerEndpoint(int seed, QuicConnectionOptions? server = null, bool retry = false) => new()
    {
        Server = server ?? ServerOptions(seed),
        RequireRetry = retry,
        Random = new Random(seed + 100),
        StaticKey = new byte[32],
    };

    /// <summary>Runs a first connection to a server built from <paramref name="server"/> and returns the session ticket it gave.</summary>
    public static TlsSessionTicket FirstTicket(int seed, QuicEndpointOptions server)
    {
        var pair = new SimulatedPair(seed, server);
        var client = pair.Connect(ClientOptions(seed));
        TlsSessionTicket? ticket = null;
        pair.OnStep = () =>
        {
            while (client.TryPollEvent(out var e))
                if (e.Kind == ConnectionEventKind.SessionTicket) ticket = e.Ticket;
        };
        Assert.True(pair.RunUntil(() => ticket is not null));
        Assert.NotNull(ticket!.TransportParameters);
        return ticket;
    }

    /// <summary>A mutable bag turned into <see cref="TlsServerOptions"/>.</summary>
    public sealed class TlsServerOptionsBuilder
    {
        public X509Certificate2 Certificate { get; set; } = ServerCertificate;
        public byte[]? TicketKey { get; set; }
        public bool EnableEarlyData { get; set; }
        public IReadOnlyList<NamedGroup>? Groups { get; set; }
        public IReadOnlyList<string> Alpn { get; set; } = ["h3"];

        public TlsServerOptions Build() => new()
        {
            Certificate = Certificate,
            TicketKey = TicketKey,
            EnableEarlyData = EnableEarlyData,
            Groups = Groups ?? [NamedGroup.X25519, NamedGroup.Secp256r1],
            ApplicationProtocols = Alpn,
        };
    }
}
