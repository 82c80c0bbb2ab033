using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pliant.Net;

/// <summary>Helpers for server certificates: a self-signed one for tests and development, and fingerprints to pin.</summary>
public static class QuicServerCertificates
{
    /// <summary>
    /// Creates a self-signed ECDSA P-256 certificate for <paramref name="subjectName"/>, valid for a
    /// year, with SANs for the name, localhost, 127.0.0.1 and ::1, usable as a TLS server certificate.
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(string subjectName = "localhost")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subjectName);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + EscapeCn(subjectName)), key, HashAlgorithmName.SHA256);

        var san = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(subjectName, out var ip)) san.AddIpAddress(ip);
        else san.AddDnsName(subjectName);
        if (!string.Equals(subjectName, "localhost", StringComparison.OrdinalIgnoreCase)) san.AddDnsName("localhost");
        if (!IPAddress.Loopback.Equals(ip)) san.AddIpAddress(IPAddress.Loopback);
        if (!IPAddress.IPv6Loopback.Equals(ip)) san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
    }

    /// <summary>SHA-256 of the certificate's DER encoding (what <see cref="Pliant.Quic.Tls.CertificateValidation.Pin"/> takes).</summary>
    public static byte[] Sha256(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return SHA256.HashData(certificate.RawData);
    }

    /// <summary>The SHA-256 fingerprint as lowercase hex, for printing and pinning on the command line.</summary>
    public static string Sha256Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(Sha256(certificate));

    private static string EscapeCn(string name) => name.Contains(',') || name.Contains('"') || name.Contains('+')
        ? "\"" + name.Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
        : name;
}
