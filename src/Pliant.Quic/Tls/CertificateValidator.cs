using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pliant.Quic.Tls;

/// <summary>Client-side checks of the server's certificate per <see cref="CertificateValidation"/>.</summary>
internal static class CertificateValidator
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>Throws CRYPTO_ERROR(bad_certificate / unknown_ca / certificate_expired) when the certificate is not acceptable.</summary>
    public static void Validate(CertificateValidation policy, string? serverName, X509Certificate2 leaf,
        X509Certificate2Collection intermediates, DateTimeOffset now)
    {
        switch (policy.Mode)
        {
            case CertificateValidationMode.Insecure:
                return;
            case CertificateValidationMode.Pinned:
                byte[] hash = SHA256.HashData(leaf.RawData);
                foreach (var pin in policy.PinnedSha256)
                    if (CryptographicOperations.FixedTimeEquals(pin, hash)) return;
                throw TlsAlert.Error(TlsAlert.BadCertificate, "certificate does not match a pinned hash");
            default:
                // A chain to a public root proves only that some name was vouched for; without the name we
                // meant to reach there is nothing to check it against (TlsHandshake.CreateClient refuses
                // such options; this guards the policy itself).
                if (string.IsNullOrEmpty(serverName))
                    throw TlsAlert.Error(TlsAlert.BadCertificate, "no server name to check the certificate against");
                ValidateChain(policy, leaf, intermediates, now);
                // RFC 9525 §6: the reference identity must match a subjectAltName; the CN is never used.
                if (!CertificateHostName.Matches(leaf, serverName))
                    throw TlsAlert.Error(TlsAlert.BadCertificate, $"certificate does not match server name {serverName}");
                return;
        }
    }

    private static void ValidateChain(CertificateValidation policy, X509Certificate2 leaf,
        X509Certificate2Collection intermediates, DateTimeOffset now)
    {
        X509ChainStatusFlags flags = Build(leaf, intermediates, now, null);
        if (flags != X509ChainStatusFlags.NoError && policy.ExtraRoots is { Count: > 0 } roots)
        {
            // Extra roots are trusted in addition to the system's.
            X509ChainStatusFlags custom = Build(leaf, intermediates, now, roots);
            if (custom == X509ChainStatusFlags.NoError) return;
            flags = custom;
        }
        if (flags == X509ChainStatusFlags.NoError) return;
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            throw TlsAlert.Error(TlsAlert.CertificateExpired, "certificate expired or not yet valid");
        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            throw TlsAlert.Error(TlsAlert.UnknownCa, "certificate chain does not lead to a trusted root");
        throw TlsAlert.Error(TlsAlert.BadCertificate, $"certificate chain invalid: {flags}");
    }

    private static X509ChainStatusFlags Build(X509Certificate2 leaf, X509Certificate2Collection intermediates,
        DateTimeOffset now, X509Certificate2Collection? customRoots)
    {
        using var chain = new X509Chain();
        var p = chain.ChainPolicy;
        p.RevocationMode = X509RevocationMode.NoCheck;
        p.VerificationTime = now.UtcDateTime;
        p.VerificationTimeIgnored = false;
        p.ApplicationPolicy.Add(new Oid(ServerAuthOid));
        p.ExtraStore.AddRange(intermediates);
        if (customRoots is not null)
        {
            p.TrustMode = X509ChainTrustMode.CustomRootTrust;
            p.CustomTrustStore.AddRange(customRoots);
        }
        bool ok;
        try
        {
            ok = chain.Build(leaf);
        }
        catch (CryptographicException)
        {
            return X509ChainStatusFlags.InvalidExtension;
        }
        if (ok) return X509ChainStatusFlags.NoError;
        X509ChainStatusFlags flags = X509ChainStatusFlags.NoError;
        foreach (var s in chain.ChainStatus) flags |= s.Status;
        return flags == X509ChainStatusFlags.NoError ? X509ChainStatusFlags.PartialChain : flags;
    }
}
