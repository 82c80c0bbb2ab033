using System.Security.Cryptography;

namespace Pliant.Quic.Crypto;

/// <summary>TLS 1.3 cipher suites usable with QUIC (RFC 8446 §B.4, RFC 9001 §5.3).</summary>
public enum CipherSuite : ushort
{
    Aes128GcmSha256 = 0x1301,
    Aes256GcmSha384 = 0x1302,
    ChaCha20Poly1305Sha256 = 0x1303,
}

/// <summary>Properties of a <see cref="CipherSuite"/>.</summary>
public static class CipherSuiteInfo
{
    /// <summary>The suite's hash (SHA-256 or SHA-384).</summary>
    public static HashAlgorithmName Hash(this CipherSuite suite) =>
        suite == CipherSuite.Aes256GcmSha384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    /// <summary>Hash output length in bytes.</summary>
    public static int HashLength(this CipherSuite suite) => suite == CipherSuite.Aes256GcmSha384 ? 48 : 32;

    /// <summary>AEAD key length in bytes.</summary>
    public static int KeyLength(this CipherSuite suite) => suite == CipherSuite.Aes128GcmSha256 ? 16 : 32;

    /// <summary>True for the suites this implementation offers.</summary>
    public static bool IsKnown(ushort value) => value is 0x1301 or 0x1302 or 0x1303;
}
