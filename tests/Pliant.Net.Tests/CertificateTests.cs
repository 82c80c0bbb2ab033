using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pliant.Net.Tests;

public class CertificateTests
{
    [Fact]
    public void SelfSigned_IsEcdsaP256WithKeyAndSans()
    {
        using var cert = QuicServerCertificates.CreateSelfSigned("pliant.test");

        Assert.True(cert.HasPrivateKey);
        Assert.Equal("CN=pliant.test", cert.Subject);
        using (var key = cert.GetECDsaPublicKey())
        {
            Assert.NotNull(key);
            Assert.Equal(256, key.KeySize);
        }
        Assert.True(cert.NotAfter > DateTime.Now.AddDays(360));
        Assert.True(cert.NotBefore <= DateTime.Now);

        var san = Assert.Single(cert.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Contains("pliant.test", san.EnumerateDnsNames());
        Assert.Contains("localhost", san.EnumerateDnsNames());
        var ips = san.EnumerateIPAddresses().ToList();
        Assert.Contains(IPAddress.Loopback, ips);
        Assert.Contains(IPAddress.IPv6Loopback, ips);

        var eku = Assert.Single(cert.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Contains(eku.EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.1");
    }

    [Fact]
    public void SelfSigned_CanSign()
    {
        using var cert = QuicServerCertificates.CreateSelfSigned();
        using var key = cert.GetECDsaPrivateKey()!;
        var sig = key.SignData("x"u8, HashAlgorithmName.SHA256);
        using var pub = cert.GetECDsaPublicKey()!;
        Assert.True(pub.VerifyData("x"u8, sig, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void Fingerprint_IsSha256OfDer()
    {
        using var cert = QuicServerCertificates.CreateSelfSigned();
        string fp = QuicServerCertificates.Sha256Fingerprint(cert);
        Assert.Equal(64, fp.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(cert.RawData)), fp);
        Assert.Equal(cert.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant(), fp);
    }
}
