using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pliant.Interop.Tests.Harness;

/// <summary>A PEM key + certificate pair for a test server, and its SHA-256 pin.</summary>
public sealed record TestCertificate(string KeyPath, string CertPath, string Sha256Hex);

public static class TestCertificates
{
    /// <summary>
    /// A self-signed ECDSA P-256 certificate for localhost / 127.0.0.1 written as PEM (PKCS#8 key)
    /// to <c>dir/key.pem</c> and <c>dir/cert.pem</c>; readable by GnuTLS (gtlsserver) and by pliant.
    /// </summary>
    public static TestCertificate Create(string dir)
    {
        Directory.CreateDirectory(dir);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var cert = req.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(7));
        var keyPath = Path.Combine(dir, "key.pem");
        var certPath = Path.Combine(dir, "cert.pem");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        return new TestCertificate(keyPath, certPath, Convert.ToHexStringLower(SHA256.HashData(cert.RawData)));
    }
}
