using System.Runtime.CompilerServices;
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
        var key = SigningKey.Of(cert);
        if (key.Ecdsa is not null)
        {
            ushort want = key.Ecdsa.KeySize switch
            {
                256 => SignatureScheme.EcdsaSecp256r1Sha256,
                384 => SignatureScheme.EcdsaSecp384r1Sha384,
                _ => 0,
            };
            return want != 0 && peerSchemes.Contains(want) ? want : null;
        }
        if (key.Rsa is not null)
        {
            foreach (ushort s in peerSchemes)
                if (s is SignatureScheme.RsaPssRsaeSha256 or SignatureScheme.RsaPssRsaeSha384 or SignatureScheme.RsaPssRsaeSha512)
                    return s;
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

    /// <summary>The CertificateVerify signature of <paramref name="content"/> with the certificate's private key.</summary>
    /// <exception cref="InvalidOperationException">The certificate has no private key of the scheme's type.</exception>
    public static byte[] Sign(X509Certificate2 cert, ushort scheme, byte[] content)
    {
        var key = SigningKey.Of(cert);
        if (IsEcdsa(scheme))
        {
            if (key.Ecdsa is null) throw new InvalidOperationException("certificate has no ECDSA private key");
            // ECDSA signatures are DER (RFC 8446 §4.2.3).
            if (key.EcdsaOfThisThread is { } own) return own.SignData(content, HashOf(scheme), DSASignatureFormat.Rfc3279DerSequence);
            lock (key) return key.Ecdsa.SignData(content, HashOf(scheme), DSASignatureFormat.Rfc3279DerSequence);
        }
        var rsa = key.Rsa ?? throw new InvalidOperationException("certificate has no RSA private key");
        // RSASSA-PSS with salt length = hash length (RFC 8446 §4.2.3), which is .NET's Pss padding.
        lock (key) return rsa.SignData(content, HashOf(scheme), RSASignaturePadding.Pss);
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

    /// <summary>
    /// The private key of a server certificate, taken out of it once per certificate object: every
    /// <c>GetECDsaPrivateKey()</c> call duplicates the key into a new OpenSSL object, which cost a
    /// handshake about as much as the signature itself (issue 17). Lives as long as the certificate.
    /// The drivers of one listener sign at the same time: each thread signs with its own copy of an ECDSA key
    /// (one lock around a 30 µs signature cost two drivers a futex wake per handshake, issue 17); a key that
    /// cannot be copied, and RSA keys, are shared and used under a lock.
    /// </summary>
    private sealed class SigningKey
    {
        private static readonly ConditionalWeakTable<X509Certificate2, SigningKey> Keys = new();
        private readonly ThreadLocal<ECDsa?>? _perThread;

        private SigningKey(X509Certificate2 cert)
        {
            Ecdsa = cert.GetECDsaPrivateKey();
            if (Ecdsa is null) Rsa = cert.GetRSAPrivateKey();
            else _perThread = new ThreadLocal<ECDsa?>(CopyOfEcdsa);
        }

        public ECDsa? Ecdsa { get; }

        /// <summary>This thread's copy of <see cref="Ecdsa"/>, or null when it cannot be copied.</summary>
        public ECDsa? EcdsaOfThisThread => _perThread?.Value;

        private ECDsa? CopyOfEcdsa()
        {
            try
            {
                ECParameters p;
                lock (this) p = Ecdsa!.ExportParameters(includePrivateParameters: true);
                try
                {
                    return ECDsa.Create(p);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(p.D);
                }
            }
            catch (CryptographicException)
            {
                return null; // not exportable (a hardware or platform-protected key): shared under the lock
            }
        }

        public RSA? Rsa { get; }

        public static SigningKey Of(X509Certificate2 cert) => Keys.GetValue(cert, static c => new SigningKey(c));
    }
}
