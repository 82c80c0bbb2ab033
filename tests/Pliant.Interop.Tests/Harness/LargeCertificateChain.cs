using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pliant.Interop.Tests.Harness;

/// <summary>
/// A server certificate chain big enough that the server's first flight exceeds 3x a client Initial
/// (the amplificationlimit fault case): a root CA, <c>intermediates</c> CAs and a leaf for localhost /
/// 127.0.0.1, all ECDSA P-256 (fast to make and sign) and each padded with a non-critical private
/// extension of <c>padding</c> bytes. <c>cert.pem</c> holds the leaf then the intermediates (leaf first, as
/// gtlsserver and <c>pliant serve --cert</c> read it); the root is not sent.
/// </summary>
public static class LargeCertificateChain
{
    /// <summary>A private OID (under 1.3.6.1.4.1.57264 "example" arc) for the padding extension.</summary>
    private const string PaddingOid = "1.3.6.1.4.1.57264.99.1";

    /// <summary>Writes <c>dir/key.pem</c> and <c>dir/cert.pem</c>; the pin is the leaf's SHA-256. <see cref="ChainBytes"/> tells the DER total sent.</summary>
    public static TestCertificate Create(string dir, int intermediates = 3, int padding = 1500)
    {
        Directory.CreateDirectory(dir);
        var now = DateTimeOffset.UtcNow;
        var notBefore = now.AddMinutes(-5);
        var notAfter = now.AddDays(7);

        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootReq = CaRequest("CN=Pliant fault-test root", rootKey, padding, 0);
        using var root = rootReq.CreateSelfSigned(notBefore, notAfter.AddDays(1));

        var issuer = root;
        var issuerKey = rootKey;
        var chain = new List<X509Certificate2>();
        var keys = new List<ECDsa>();
        try
        {
            for (var i = 1; i <= intermediates; i++)
            {
                var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                keys.Add(key);
                var req = CaRequest($"CN=Pliant fault-test intermediate {i}", key, padding, i);
                var serial = RandomNumberGenerator.GetBytes(12);
                var cert = req.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter, serial);
                chain.Insert(0, cert);
                issuer = cert;
                issuerKey = key;
            }

            using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var leafReq = new CertificateRequest("CN=localhost", leafKey, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            leafReq.CertificateExtensions.Add(san.Build());
            leafReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            leafReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            leafReq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            leafReq.CertificateExtensions.Add(Padding(padding, 99));
            using var leaf = leafReq.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter, RandomNumberGenerator.GetBytes(12));

            var keyPath = Path.Combine(dir, "key.pem");
            var certPath = Path.Combine(dir, "cert.pem");
            File.WriteAllText(keyPath, leafKey.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(certPath, leaf.ExportCertificatePem() + "\n" + string.Join("\n", chain.Select(c => c.ExportCertificatePem())) + "\n");
            File.WriteAllText(Path.Combine(dir, "root.pem"), root.ExportCertificatePem() + "\n");
            return new TestCertificate(keyPath, certPath, Convert.ToHexStringLower(SHA256.HashData(leaf.RawData)));
        }
        finally
        {
            foreach (var c in chain) c.Dispose();
            foreach (var k in keys) k.Dispose();
        }
    }

    /// <summary>The DER bytes of every certificate in a PEM file (what a server puts in its Certificate message, before framing).</summary>
    public static int ChainBytes(string certPath)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certPath);
        var total = all.Sum(c => c.RawData.Length);
        foreach (var c in all) c.Dispose();
        return total;
    }

    private static CertificateRequest CaRequest(string subject, ECDsa key, int padding, int tag)
    {
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        req.CertificateExtensions.Add(Padding(padding, tag));
        return req;
    }

    /// <summary>A non-critical extension holding an OCTET STRING of <paramref name="size"/> bytes (seeded content, so every certificate differs).</summary>
    private static X509Extension Padding(int size, int seed)
    {
        var filler = new byte[size];
        new Random(seed).NextBytes(filler);
        var w = new AsnWriter(AsnEncodingRules.DER);
        w.WriteOctetString(filler);
        return new X509Extension(new Oid(PaddingOid), w.Encode(), critical: false);
    }
}
