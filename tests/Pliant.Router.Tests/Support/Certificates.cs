using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pliant.Router.Tests.Support;

/// <summary>Self-signed ECDSA P-256 certificates made once per test run.</summary>
internal static class Certificates
{
    private static readonly Lazy<X509Certificate2> s_any = new(() => SelfSigned("a.example", "b.example", "*.example", "localhost"));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, X509Certificate2> s_byName = new();

    /// <summary>Names a.example, b.example, *.example and localhost.</summary>
    public static X509Certificate2 Server => s_any.Value;

    /// <summary>A certificate of its own for <paramref name="name"/> (one per name per run).</summary>
    public static X509Certificate2 For(string name) => s_byName.GetOrAdd(name, n => SelfSigned(n));

    /// <summary>SHA-256 of the certificate's DER (for pinning).</summary>
    public static byte[] Sha256(X509Certificate2 certificate) => SHA256.HashData(certificate.RawData);

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
