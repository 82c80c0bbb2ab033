using System.Security.Cryptography;

namespace Pliant.Quic.Crypto;

/// <summary>
/// HKDF (RFC 5869) with SHA-256 or SHA-384 on <see cref="Hmac"/>: the same values as the BCL's
/// <see cref="HKDF"/> (the Wycheproof vectors run through both) at a fraction of its per-call cost.
/// </summary>
internal static class Hkdf
{
    /// <summary>PRK = HMAC-Hash(salt, IKM) (RFC 5869 §2.2; an empty salt acts as HashLen zeros).</summary>
    public static void Extract(HashAlgorithmName hash, ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, Span<byte> prk) =>
        Hmac.Compute(hash, salt, ikm, prk);

    /// <summary><see cref="Extract(HashAlgorithmName, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> into a new array.</summary>
    public static byte[] Extract(HashAlgorithmName hash, ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt) =>
        Hmac.Compute(hash, salt, ikm);

    /// <summary>
    /// OKM = T(1) || T(2) || … truncated to <paramref name="output"/>'s length, T(i) = HMAC-Hash(PRK, T(i-1) || info || i)
    /// (RFC 5869 §2.3).
    /// </summary>
    /// <exception cref="ArgumentException">The PRK is shorter than HashLen, or the output is longer than 255 × HashLen.</exception>
    public static void Expand(HashAlgorithmName hash, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, Span<byte> output)
    {
        int hashSize = Sha2.Supports(hash) ? Sha2.HashSize(hash) : throw new ArgumentException($"{hash.Name} is not SHA-256 or SHA-384", nameof(hash));
        if (prk.Length < hashSize) throw new ArgumentException("the PRK is shorter than the hash", nameof(prk));
        if (output.Length > 255 * hashSize) throw new ArgumentException("HKDF output is at most 255 × HashLen bytes", nameof(output));
        Span<byte> t = stackalloc byte[Sha2.MaxHashSize];
        t = t[..hashSize];
        Span<byte> counter = stackalloc byte[1];
        int previous = 0; // length of T(i-1) in t: 0 for T(0), the empty string
        for (int done = 0, i = 1; done < output.Length; i++)
        {
            counter[0] = (byte)i;
            Hmac.Compute(hash, prk, t[..previous], info, counter, t);
            previous = hashSize;
            int n = Math.Min(hashSize, output.Length - done);
            t[..n].CopyTo(output[done..]);
            done += n;
        }
        CryptographicOperations.ZeroMemory(t);
    }
}
