using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pliant.Quic.Connection;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Simulation;

/// <summary>
/// Large server certificate chains for simulated connections: a server flight several times a client
/// Initial, so the server hits its 3x anti-amplification limit (RFC 9000 §8.1) and the flight spans datagrams.
/// </summary>
public static class PaddedCertificates
{
    /// <summary><paramref name="count"/> self-signed ECDSA certificates, each with a non-critical extension of <paramref name="padding"/> seeded bytes (the client under test does not validate them).</summary>
    public static X509Certificate2Collection Chain(int count, int padding)
    {
        var chain = new X509Certificate2Collection();
        for (int i = 0; i < count; i++)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest($"CN=padded intermediate {i}", key, HashAlgorithmName.SHA256);
            var filler = new byte[padding];
            new Random(i).NextBytes(filler);
            var w = new AsnWriter(AsnEncodingRules.DER);
            w.WriteOctetString(filler);
            req.CertificateExtensions.Add(new X509Extension(new Oid("1.3.6.1.4.1.57264.99.1"), w.Encode(), critical: false));
            var now = DateTimeOffset.UtcNow;
            chain.Add(req.CreateSelfSigned(now.AddDays(-1), now.AddDays(30)));
        }
        return chain;
    }

    /// <summary>Server connection options whose certificate message carries <see cref="Chain"/>(3, 1500): about 7 KB.</summary>
    public static QuicConnectionOptions ServerOptions(int seed) => new()
    {
        Server = new TlsServerOptions
        {
            Certificate = SimulationSetup.ServerCertificate,
            Chain = Chain(3, 1500),
            Groups = [NamedGroup.X25519, NamedGroup.Secp256r1],
            ApplicationProtocols = ["h3"],
        },
        Random = new Random(seed),
    };
}
