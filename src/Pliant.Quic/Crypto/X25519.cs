using System.Numerics;
using System.Security.Cryptography;

namespace Pliant.Quic.Crypto;

/// <summary>
/// X25519 (RFC 7748 §5). TEMPORARY BigInteger implementation for the tls branch only; it is replaced by
/// the crypto branch's constant-time version at merge (same signatures).
/// </summary>
public static class X25519
{
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger A24 = 121665;

    /// <summary>Fills <paramref name="priv32"/> with a random private key.</summary>
    public static void GeneratePrivateKey(Span<byte> priv32) => RandomNumberGenerator.Fill(priv32[..32]);

    /// <summary>Computes the public key X25519(priv, 9).</summary>
    public static void PublicKey(ReadOnlySpan<byte> priv, Span<byte> pub32)
    {
        Span<byte> nine = stackalloc byte[32];
        nine[0] = 9;
        Ladder(priv, nine, pub32);
    }

    /// <summary>Computes the shared secret; false when it is all zeros (RFC 7748 §6.1).</summary>
    public static bool TrySharedSecret(ReadOnlySpan<byte> priv, ReadOnlySpan<byte> peerPub, Span<byte> shared32)
    {
        if (priv.Length != 32 || peerPub.Length != 32) return false;
        Ladder(priv, peerPub, shared32);
        byte acc = 0;
        for (int i = 0; i < 32; i++) acc |= shared32[i];
        return acc != 0;
    }

    private static BigInteger Mod(BigInteger a) { a %= P; return a.Sign < 0 ? a + P : a; }

    private static void Ladder(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> u, Span<byte> output)
    {
        // RFC 7748 §5: decodeScalar25519 and decodeUCoordinate (mask the top bit).
        Span<byte> k = stackalloc byte[32];
        scalar[..32].CopyTo(k);
        k[0] &= 248; k[31] &= 127; k[31] |= 64;
        Span<byte> ub = stackalloc byte[32];
        u[..32].CopyTo(ub);
        ub[31] &= 127;
        var kk = new BigInteger(k, isUnsigned: true, isBigEndian: false);
        var x1 = Mod(new BigInteger(ub, isUnsigned: true, isBigEndian: false));
        BigInteger x2 = 1, z2 = 0, x3 = x1, z3 = 1;
        int swap = 0;
        for (int t = 254; t >= 0; t--)
        {
            int kt = (int)((kk >> t) & 1);
            swap ^= kt;
            if (swap == 1) { (x2, x3) = (x3, x2); (z2, z3) = (z3, z2); }
            swap = kt;
            var a = Mod(x2 + z2); var aa = Mod(a * a);
            var b = Mod(x2 - z2); var bb = Mod(b * b);
            var e = Mod(aa - bb);
            var c = Mod(x3 + z3); var d = Mod(x3 - z3);
            var da = Mod(d * a); var cb = Mod(c * b);
            x3 = Mod((da + cb) * (da + cb));
            z3 = Mod(x1 * Mod((da - cb) * (da - cb)));
            x2 = Mod(aa * bb);
            z2 = Mod(e * Mod(aa + A24 * e));
        }
        if (swap == 1) { (x2, x3) = (x3, x2); (z2, z3) = (z3, z2); }
        var result = Mod(x2 * BigInteger.ModPow(z2, P - 2, P));
        output[..32].Clear();
        result.TryWriteBytes(output[..32], out _, isUnsigned: true, isBigEndian: false);
    }
}
