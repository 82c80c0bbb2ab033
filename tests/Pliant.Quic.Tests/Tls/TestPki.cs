using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Tls;

/// <summary>Leaf certificates with chosen subject and subjectAltNames, issued by <see cref="TestCertificates.Root"/>.</summary>
internal static class TestPki
{
    /// <summary>A server certificate (with its key) for <paramref name="subject"/>; no SAN extension when both lists are empty.</summary>
    public static X509Certificate2 Leaf(string subject, string[]? dnsNames = null, IPAddress[]? addresses = null)
    {
        var now = DateTimeOffset.UtcNow;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (dnsNames is { Length: > 0 } || addresses is { Length: > 0 })
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var n in dnsNames ?? []) san.AddDnsName(n);
            foreach (var a in addresses ?? []) san.AddIpAddress(a);
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(TestCertificates.Root, now.AddDays(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>System roots plus the test root.</summary>
    public static CertificateValidation TrustTestRoot() => new() { ExtraRoots = [TestCertificates.Root] };
}
