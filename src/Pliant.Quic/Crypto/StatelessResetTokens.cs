using System.Security.Cryptography;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Crypto;

/// <summary>
/// Stateless reset tokens derived from a static key and the connection ID they belong to
/// (RFC 9000 §10.3.2: a keyed function of the connection ID, so a server that lost state can recompute it).
/// </summary>
public static class StatelessResetTokens
{
    /// <summary>Length of a stateless reset token (RFC 9000 §10.3).</summary>
    public const int TokenLength = 16;

    /// <summary>
    /// token = HMAC-SHA256(staticKey, cid) truncated to 16 bytes. The key must be secret and should be
    /// 32 random bytes; it must differ from keys used for anything else.
    /// </summary>
    public static void Derive(ReadOnlySpan<byte> staticKey, ConnectionId cid, Span<byte> token16)
    {
        if (staticKey.Length < 16) throw new ArgumentException("the static key must be at least 16 bytes", nameof(staticKey));
        if (token16.Length < TokenLength) throw new ArgumentException("the token is 16 bytes", nameof(token16));
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Hmac.Compute(HashAlgorithmName.SHA256, staticKey, cid.Span, mac);
        mac[..TokenLength].CopyTo(token16);
        CryptographicOperations.ZeroMemory(mac);
    }
}
