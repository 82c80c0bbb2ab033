using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pliant.Router.Tests.Support;

/// <summary>Self-signed ECDSA P-256 certificates made once per test run.</summary>
internal static class Certificates
{
    private static readonly Lazy<X509Certificate2> s_any = new(() => SelfSigned("a.example", "b.example", "*.example", "localhost"));

    /// <summary>Names a.example, b.example, *.example and localhost.</summary>
    public static X509Certificate2 Server => s_any.Value;

    private static X509Certificate2 SelfSigned(params string[] names)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var n in names) san.AddDnsName(n);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var r = new CertificateRequest("CN=" + names[0], ec, HashAlgorithmName.SHA256);
        r.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        return r.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }
}
