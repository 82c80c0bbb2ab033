using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pliant.Quic.Tls;

/// <summary>
/// Server identity check (RFC 9525, which replaces RFC 6125): the reference identity — the name or IP
/// address the client meant to reach — must match a subjectAltName of the leaf certificate.
/// <list type="bullet">
/// <item>A DNS name matches a dNSName SAN case-insensitively (ASCII, a trailing dot ignored); a SAN
/// whose leftmost label is exactly <c>*</c> matches one whole label there (§6.3: not <c>f*o</c>, not
/// two labels, not the bare parent), and only above at least two more labels (<c>*.example.com</c>, not <c>*.com</c>).</item>
/// <item>An IP address (reference written as an IPv4 or IPv6 literal) matches only an iPAddress SAN with
/// the same bytes (§6.2.1); never a dNSName, never a wildcard.</item>
/// <item>The subject's Common Name is never used (§6.2.1: CN-IDs are not matched), whether or not SANs exist.</item>
/// <item>A reference containing non-ASCII characters must be given in A-label form (xn--…); otherwise it matches nothing.</item>
/// </list>
/// </summary>
internal static class CertificateHostName
{
    private const string SubjectAltNameOid = "2.5.29.17";

    /// <summary>True when <paramref name="leaf"/> is a certificate for <paramref name="reference"/>.</summary>
    public static bool Matches(X509Certificate2 leaf, string reference)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        if (string.IsNullOrEmpty(reference)) return false;
        X509SubjectAlternativeNameExtension? san = null;
        foreach (var ext in leaf.Extensions)
        {
            if (ext.Oid?.Value != SubjectAltNameOid) continue;
            try
            {
                san = ext as X509SubjectAlternativeNameExtension ?? new X509SubjectAlternativeNameExtension(ext.RawData, ext.Critical);
            }
            catch (CryptographicException)
            {
                return false; // a malformed SAN extension identifies nothing
            }
            break;
        }
        if (san is null) return false;
        try
        {
            if (IPAddress.TryParse(reference, out var ip))
            {
                byte[] want = Normalise(ip).GetAddressBytes();
                foreach (var candidate in san.EnumerateIPAddresses())
                    if (Normalise(candidate).GetAddressBytes().AsSpan().SequenceEqual(want)) return true;
                return false;
            }
            string? host = NormaliseDnsName(reference);
            if (host is null) return false;
            foreach (string name in san.EnumerateDnsNames())
                if (DnsNameMatches(NormaliseDnsName(name), host)) return true;
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>An IPv4-mapped IPv6 address compares as its IPv4 address; the scope is not part of the identity.</summary>
    private static IPAddress Normalise(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    /// <summary>Lower-case ASCII without one trailing dot; null for anything that is not a printable ASCII name.</summary>
    private static string? NormaliseDnsName(string name)
    {
        if (name.EndsWith('.')) name = name[..^1];
        if (name.Length == 0 || name.Length > 253) return null;
        foreach (char c in name)
            if (c <= ' ' || c >= 0x7f) return null;
        return name.ToLowerInvariant();
    }

    private static bool DnsNameMatches(string? presented, string host)
    {
        if (presented is null) return false;
        if (!presented.Contains('*', StringComparison.Ordinal)) return string.Equals(presented, host, StringComparison.Ordinal);
        // RFC 9525 §6.3: only "*" as the complete leftmost label; no other '*' anywhere.
        if (!presented.StartsWith("*.", StringComparison.Ordinal) || presented.IndexOf('*', 1) >= 0) return false;
        string parent = presented[2..];
        // At least two labels under the wildcard: "*.com" or "*.localhost" identify nothing.
        if (!parent.Contains('.', StringComparison.Ordinal) || parent.StartsWith('.') || parent.EndsWith('.')) return false;
        int dot = host.IndexOf('.', StringComparison.Ordinal);
        // The wildcard stands for exactly one non-empty label.
        return dot > 0 && string.Equals(host[(dot + 1)..], parent, StringComparison.Ordinal);
    }
}
