using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Pliant.Quic.Tls;

/// <summary>CertificateVerify signing and checking (RFC 8446 §4.4.3).</summary>
internal static class CertificateSignatures
{
    /// <summary>64 spaces, the context string, a zero byte, then the transcript hash.</summary>
    public static byte[] Content(bool server, ReadOnlySpan<byte> transcriptHash)
    {
        string context = server ? "TLS 1.3, server CertificateVerify" : "TLS 1.3, client CertificateVerify";
        var content = new byte[64 + context.Length + 1 + transcriptHash.Length];
        content.AsSpan(0, 64).Fill(0x20);
        Encoding.ASCII.GetBytes(context, content.AsSpan(64));
        content[64 + context.Length] = 0;
        transcriptHash.CopyTo(content.AsSpan(64 + context.Length + 1));
        return content;
    }

    /// <summary>The scheme our certificate's key can sign with among the peer's list, or null.</summary>
    public static ushort? Choose(X509Certificate2 cert, IReadOnlyList<ushort> peerSchemes)
    {
        using (var ec = cert.GetECDsaPrivateKey())
        {
            if (ec is not null)
            {
                ushort want = ec.KeySize switch
                {
                    256 => SignatureScheme.EcdsaSecp256r1Sha256,
                    384 => SignatureScheme.EcdsaSecp384r1Sha384,
                    _ => 0,
                };
                return want != 0 && peerSchemes.Contains(want) ? want : null;
            }
        }
        using (var rsa = cert.GetRSAPrivateKey())
        {
            if (rsa is not null)
            {
                foreach (ushort s in peerSchemes)
                    if (s is SignatureScheme.RsaPssRsaeSha256 or SignatureScheme.RsaPssRsaeSha384 or SignatureScheme.RsaPssRsaeSha512)
                        return s;
            }
        }
        return null;
    }

    private static HashAlgorithmName HashOf(ushort scheme) => scheme switch
    {
        SignatureScheme.EcdsaSecp256r1Sha256 or SignatureScheme.RsaPssRsaeSha256 => HashAlgorithmName.SHA256,
        SignatureScheme.EcdsaSecp384r1Sha384 or SignatureScheme.RsaPssRsaeSha384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    private static bool IsEcdsa(ushort scheme) => scheme is SignatureScheme.EcdsaSecp256r1Sha256 or SignatureScheme.EcdsaSecp384r1Sha384;

    public static byte[] Sign(X509Certificate2 cert, ushort scheme, byte[] content)
    {
        if (IsEcdsa(scheme))
        {
            using var ec = cert.GetECDsaPrivateKey() ?? throw new InvalidOperationException("certificate has no ECDSA private key");
            // ECDSA signatures are DER (RFC 8446 §4.2.3).
            return ec.SignData(content, HashOf(scheme), DSASignatureFormat.Rfc3279DerSequence);
        }
        using var rsa = cert.GetRSAPrivateKey() ?? throw new InvalidOperationException("certificate has no RSA private key");
        // RSASSA-PSS with salt length = hash length (RFC 8446 §4.2.3), which is .NET's Pss padding.
        return rsa.SignData(content, HashOf(scheme), RSASignaturePadding.Pss);
    }

    /// <summary>Checks a signature with the leaf's public key; false on any mismatch.</summary>
    public static bool Verify(X509Certificate2 cert, ushort scheme, byte[] content, byte[] signature)
    {
        try
        {
            if (IsEcdsa(scheme))
            {
                using var ec = cert.GetECDsaPublicKey();
                int size = scheme == SignatureScheme.EcdsaSecp256r1Sha256 ? 256 : 384;
                if (ec is null || ec.KeySize != size) return false;
                return ec.VerifyData(content, signature, HashOf(scheme), DSASignatureFormat.Rfc3279DerSequence);
            }
            using var rsa = cert.GetRSAPublicKey();
            if (rsa is null) return false;
            return rsa.VerifyData(content, signature, HashOf(scheme), RSASignaturePadding.Pss);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
