using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Tls;

/// <summary>Certificates made once per test run.</summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> s_ecdsa = new(() => SelfSigned(useRsa: false));
    private static readonly Lazy<X509Certificate2> s_rsa = new(() => SelfSigned(useRsa: true));
    private static readonly Lazy<(X509Certificate2 Root, X509Certificate2 Leaf)> s_chain = new(MakeChain);

    public static X509Certificate2 Ecdsa => s_ecdsa.Value;
    public static X509Certificate2 Rsa => s_rsa.Value;
    public static X509Certificate2 Root => s_chain.Value.Root;
    public static X509Certificate2 LeafSignedByRoot => s_chain.Value.Leaf;

    private static X509Certificate2 SelfSigned(bool useRsa)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        var now = DateTimeOffset.UtcNow;
        if (useRsa)
        {
            using var rsa = RSA.Create(2048);
            var req = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            req.CertificateExtensions.Add(san.Build());
            return req.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        }
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var r = new CertificateRequest("CN=localhost", ec, HashAlgorithmName.SHA256);
        r.CertificateExtensions.Add(san.Build());
        return r.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    private static (X509Certificate2, X509Certificate2) MakeChain()
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootReq = new CertificateRequest("CN=Pliant Test Root", rootKey, HashAlgorithmName.SHA256);
        rootReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootReq.PublicKey, false));
        var root = rootReq.CreateSelfSigned(now.AddDays(-2), now.AddDays(60));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafReq = new CertificateRequest("CN=example.test", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("example.test");
        leafReq.CertificateExtensions.Add(san.Build());
        leafReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        leafReq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = leafReq.Create(root, now.AddDays(-1), now.AddDays(30), [1, 2, 3, 4, 5, 6, 7, 8]);
        return (root, issued.CopyWithPrivateKey(leafKey));
    }
}

/// <summary>A client and a server handshake wired together in memory.</summary>
internal sealed class TlsPair
{
    public static readonly byte[] ClientParams = [1, 2, 3, 4];
    public static readonly byte[] ServerParams = [5, 6, 7, 8, 9];

    public TlsPair(TlsClientOptions client, TlsServerOptions server)
    {
        Client = TlsHandshake.CreateClient(client, ClientParams);
        Server = TlsHandshake.CreateServer(server, ServerParams);
    }

    public TlsHandshake Client { get; }
    public TlsHandshake Server { get; }
    public List<TlsEvent> ClientEvents { get; } = [];
    public List<TlsEvent> ServerEvents { get; } = [];

    /// <summary>Optional hook to rewrite bytes in flight (sender is client?, level, data) → data.</summary>
    public Func<bool, EncryptionLevel, byte[], byte[]>? Tamper { get; set; }

    /// <summary>Deliver byte by byte instead of whole flights.</summary>
    public bool Trickle { get; set; }

    public static TlsClientOptions ClientOptions(CertificateValidation? validation = null) =>
        new() { ServerName = "localhost", Validation = validation ?? CertificateValidation.Insecure };

    public static TlsServerOptions ServerOptions(System.Security.Cryptography.X509Certificates.X509Certificate2? cert = null) =>
        new() { Certificate = cert ?? TestCertificates.Ecdsa };

    /// <summary>Starts the client and pumps until neither side has anything to say.</summary>
    public TlsPair Run()
    {
        Client.Start();
        Pump();
        return this;
    }

    public void Pump()
    {
        bool progress = true;
        while (progress)
        {
            progress = Drain(Client, ClientEvents, Server, fromClient: true);
            progress |= Drain(Server, ServerEvents, Client, fromClient: false);
        }
    }

    private bool Drain(TlsHandshake from, List<TlsEvent> log, TlsHandshake to, bool fromClient)
    {
        bool any = false;
        while (from.TryPollEvent(out var e))
        {
            any = true;
            log.Add(e);
            if (e.Kind != TlsEventKind.HandshakeData) continue;
            byte[] data = Tamper?.Invoke(fromClient, e.Level, e.Data!) ?? e.Data!;
            if (Trickle)
                for (int i = 0; i < data.Length; i++) to.HandleCryptoData(e.Level, data.AsSpan(i, 1));
            else
                to.HandleCryptoData(e.Level, data);
        }
        return any;
    }

    public static byte[]? Secret(List<TlsEvent> log, TlsEventKind kind, EncryptionLevel level) =>
        log.LastOrDefault(e => e.Kind == kind && e.Level == level)?.Secret;

    /// <summary>Asserts that each write secret equals the peer's read secret at the same level.</summary>
    public void AssertSecretsMatch(params EncryptionLevel[] levels)
    {
        foreach (var level in levels)
        {
            var cw = Secret(ClientEvents, TlsEventKind.WriteSecret, level);
            var sr = Secret(ServerEvents, TlsEventKind.ReadSecret, level);
            Assert.NotNull(cw);
            Assert.Equal(cw, sr);
            if (level == EncryptionLevel.ZeroRtt) continue;
            var sw = Secret(ServerEvents, TlsEventKind.WriteSecret, level);
            var cr = Secret(ClientEvents, TlsEventKind.ReadSecret, level);
            Assert.NotNull(sw);
            Assert.Equal(sw, cr);
            Assert.NotEqual(cw, sw);
        }
    }

    public string Kinds(List<TlsEvent> log) => string.Join(", ", log.Select(e => e.Kind switch
    {
        TlsEventKind.HandshakeData or TlsEventKind.ReadSecret or TlsEventKind.WriteSecret => $"{e.Kind}({e.Level})",
        _ => e.Kind.ToString(),
    }));
}
