using System.Security.Cryptography;

namespace Pliant.Quic.Crypto;

/// <summary>
/// HMAC (RFC 2104) with SHA-256 or SHA-384 over up to three message parts, on <see cref="Sha2"/>: no
/// allocation and no OpenSSL context per call. TLS 1.3's key schedule, Finished messages and QUIC's
/// stateless reset tokens are all HMACs of short inputs, so the per-call cost is what counts.
/// </summary>
internal static class Hmac
{
    /// <summary>HMAC(key, a || b || c) into <paramref name="mac"/> (at least the hash's size).</summary>
    /// <exception cref="ArgumentException">The hash is neither SHA-256 nor SHA-384, or the output is too short.</exception>
    public static void Compute(HashAlgorithmName hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b,
        ReadOnlySpan<byte> c, Span<byte> mac) => ComputeUsing(Sha2.NativeAvailable, hash, key, a, b, c, mac);

    /// <summary>HMAC(key, message) into <paramref name="mac"/>.</summary>
    public static void Compute(HashAlgorithmName hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> mac) =>
        Compute(hash, key, message, [], [], mac);

    /// <summary>HMAC(key, message) as a new array.</summary>
    public static byte[] Compute(HashAlgorithmName hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> message)
    {
        var mac = new byte[Sha2.HashSize(hash)];
        Compute(hash, key, message, mac);
        return mac;
    }

    /// <summary>As <see cref="Compute(HashAlgorithmName, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>, choosing libcrypto or the BCL for the hash (tests compare both).</summary>
    internal static void ComputeUsing(bool native, HashAlgorithmName hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> a,
        ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, Span<byte> mac)
    {
        if (!Sha2.Supports(hash)) throw new ArgumentException($"{hash.Name} is not SHA-256 or SHA-384", nameof(hash));
        int blockSize = Sha2.BlockSize(hash), hashSize = Sha2.HashSize(hash);
        if (mac.Length < hashSize) throw new ArgumentException("the output is shorter than the hash", nameof(mac));

        // RFC 2104 §2: K' = H(K) if K is longer than the block, then zero-padded to the block size.
        Span<byte> pad = stackalloc byte[Sha2.MaxBlockSize];
        pad = pad[..blockSize];
        pad.Clear();
        if (key.Length > blockSize) Sha2.HashUsing(native, hash, key, [], [], [], pad);
        else key.CopyTo(pad);

        Span<byte> inner = stackalloc byte[Sha2.MaxHashSize];
        inner = inner[..hashSize];
        for (int i = 0; i < blockSize; i++) pad[i] ^= 0x36; // ipad
        Sha2.HashUsing(native, hash, pad, a, b, c, inner);
        for (int i = 0; i < blockSize; i++) pad[i] ^= 0x36 ^ 0x5c; // opad
        Sha2.HashUsing(native, hash, pad, inner, [], [], mac);
        CryptographicOperations.ZeroMemory(pad);
        CryptographicOperations.ZeroMemory(inner);
    }
}
