using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Pliant.Quic.Crypto;

/// <summary>
/// X25519 Diffie-Hellman (RFC 7748 §5), managed. Field elements of GF(2^255 − 19) are five 51-bit limbs
/// multiplied into 128-bit accumulators; the Montgomery ladder uses a constant-time conditional swap and
/// no secret-dependent branches or memory indices.
/// </summary>
public static class X25519
{
    /// <summary>Length of private keys, public keys and shared secrets.</summary>
    public const int KeyLength = 32;

    /// <summary>Fills <paramref name="privateKey"/> (32 bytes) with a random, clamped scalar.</summary>
    public static void GeneratePrivateKey(Span<byte> privateKey)
    {
        if (privateKey.Length != KeyLength) throw new ArgumentException("X25519 keys are 32 bytes", nameof(privateKey));
        RandomSource.Secure.Fill(privateKey);
        Clamp(privateKey);
    }

    /// <summary>The public key X25519(k, 9) of <paramref name="privateKey"/> (RFC 7748 §6.1).</summary>
    public static void PublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        if (X25519OpenSsl.IsAvailable && X25519OpenSsl.TryPublicKey(privateKey, publicKey)) return;
        Span<byte> basePoint = stackalloc byte[KeyLength];
        basePoint.Clear();
        basePoint[0] = 9;
        ScalarMult(privateKey, basePoint, publicKey);
    }

    /// <summary>
    /// The shared secret X25519(k, peer u). Returns false when the result is all zero (a low-order peer
    /// key, RFC 7748 §6.1 and RFC 8446 §7.4.2: such a secret must be rejected).
    /// </summary>
    public static bool TrySharedSecret(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        if (X25519OpenSsl.IsAvailable)
        {
            if (X25519OpenSsl.TrySharedSecret(privateKey, peerPublicKey, sharedSecret)) return true;
            // Refused (an all-zero result) or failed: the managed ladder gives the definitive answer.
        }
        ScalarMult(privateKey, peerPublicKey, sharedSecret);
        byte acc = 0;
        for (int i = 0; i < KeyLength; i++) acc |= sharedSecret[i];
        return acc != 0;
    }

    /// <summary>The raw X25519 function of RFC 7748 §5: clamps the scalar, masks the top bit of u.</summary>
    public static void ScalarMult(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> u, Span<byte> output)
    {
        if (scalar.Length != KeyLength) throw new ArgumentException("X25519 scalars are 32 bytes", nameof(scalar));
        if (u.Length != KeyLength) throw new ArgumentException("X25519 u-coordinates are 32 bytes", nameof(u));
        if (output.Length < KeyLength) throw new ArgumentException("X25519 outputs are 32 bytes", nameof(output));

        Span<byte> k = stackalloc byte[KeyLength];
        scalar.CopyTo(k);
        Clamp(k);

        // RFC 7748 §5: decodeUCoordinate masks the most significant bit; non-canonical values
        // (2^255 − 19 .. 2^255 − 1) are accepted and reduced by the arithmetic.
        var x1 = Fe.FromBytes(u);
        var x2 = Fe.One;
        var z2 = Fe.Zero;
        var x3 = x1;
        var z3 = Fe.One;
        ulong swap = 0;

        for (int t = 254; t >= 0; t--)
        {
            ulong kt = (ulong)((k[t >> 3] >> (t & 7)) & 1);
            swap ^= kt;
            Fe.ConditionalSwap(ref x2, ref x3, swap);
            Fe.ConditionalSwap(ref z2, ref z3, swap);
            swap = kt;

            var a = Fe.Add(x2, z2);
            var aa = Fe.Square(a);
            var b = Fe.Sub(x2, z2);
            var bb = Fe.Square(b);
            var e = Fe.Sub(aa, bb);
            var c = Fe.Add(x3, z3);
            var d = Fe.Sub(x3, z3);
            var da = Fe.Mul(d, a);
            var cb = Fe.Mul(c, b);
            x3 = Fe.Square(Fe.Add(da, cb));
            z3 = Fe.Mul(x1, Fe.Square(Fe.Sub(da, cb)));
            x2 = Fe.Mul(aa, bb);
            // a24 = 121665 for curve25519 (RFC 7748 §5).
            z2 = Fe.Mul(e, Fe.Add(aa, Fe.Mul(Fe.A24, e)));
        }
        Fe.ConditionalSwap(ref x2, ref x3, swap);
        Fe.ConditionalSwap(ref z2, ref z3, swap);

        // x2 * z2^(p − 2); z2 = 0 gives 0 (the all-zero output of low-order points).
        Fe.Mul(x2, Fe.Invert(z2)).ToBytes(output);
        CryptographicOperations.ZeroMemory(k);
    }

    // RFC 7748 §5 decodeScalar25519: clear the 3 low bits, clear bit 255, set bit 254.
    private static void Clamp(Span<byte> k)
    {
        k[0] &= 248;
        k[31] &= 127;
        k[31] |= 64;
    }

    /// <summary>An element of GF(2^255 − 19) in radix 2^51.</summary>
    private struct Fe
    {
        private const ulong Mask = (1UL << 51) - 1;

        public ulong L0, L1, L2, L3, L4;

        private Fe(ulong l0, ulong l1, ulong l2, ulong l3, ulong l4)
        {
            L0 = l0; L1 = l1; L2 = l2; L3 = l3; L4 = l4;
        }

        public static Fe Zero => default;

        public static Fe One => new(1, 0, 0, 0, 0);

        public static Fe A24 => new(121665, 0, 0, 0, 0);

        public static Fe FromBytes(ReadOnlySpan<byte> b)
        {
            ulong u0 = BinaryPrimitives.ReadUInt64LittleEndian(b);
            ulong u1 = BinaryPrimitives.ReadUInt64LittleEndian(b[8..]);
            ulong u2 = BinaryPrimitives.ReadUInt64LittleEndian(b[16..]);
            ulong u3 = BinaryPrimitives.ReadUInt64LittleEndian(b[24..]) & 0x7fffffffffffffffUL; // mask bit 255
            return new Fe(
                u0 & Mask,
                ((u0 >> 51) | (u1 << 13)) & Mask,
                ((u1 >> 38) | (u2 << 26)) & Mask,
                ((u2 >> 25) | (u3 << 39)) & Mask,
                u3 >> 12);
        }

        /// <summary>Writes the canonical (fully reduced) little-endian encoding.</summary>
        public readonly void ToBytes(Span<byte> output)
        {
            var f = Carry(Carry(this)); // now every limb < 2^51, value < 2^255
            // q = 1 iff value >= p, i.e. value + 19 >= 2^255.
            ulong q = (f.L0 + 19) >> 51;
            q = (f.L1 + q) >> 51;
            q = (f.L2 + q) >> 51;
            q = (f.L3 + q) >> 51;
            q = (f.L4 + q) >> 51;
            // value − q·p = value + 19q − q·2^255 (the 2^255 term is dropped by the final mask).
            ulong l0 = f.L0 + 19 * q;
            ulong l1 = f.L1 + (l0 >> 51); l0 &= Mask;
            ulong l2 = f.L2 + (l1 >> 51); l1 &= Mask;
            ulong l3 = f.L3 + (l2 >> 51); l2 &= Mask;
            ulong l4 = f.L4 + (l3 >> 51); l3 &= Mask;
            l4 &= Mask;
            BinaryPrimitives.WriteUInt64LittleEndian(output, l0 | (l1 << 51));
            BinaryPrimitives.WriteUInt64LittleEndian(output[8..], (l1 >> 13) | (l2 << 38));
            BinaryPrimitives.WriteUInt64LittleEndian(output[16..], (l2 >> 26) | (l3 << 25));
            BinaryPrimitives.WriteUInt64LittleEndian(output[24..], (l3 >> 39) | (l4 << 12));
        }

        // Weak reduction: limbs back below 2^51 (limb 0 may exceed it by a little).
        private static Fe Carry(Fe a)
        {
            ulong c;
            c = a.L0 >> 51; a.L0 &= Mask; a.L1 += c;
            c = a.L1 >> 51; a.L1 &= Mask; a.L2 += c;
            c = a.L2 >> 51; a.L2 &= Mask; a.L3 += c;
            c = a.L3 >> 51; a.L3 &= Mask; a.L4 += c;
            c = a.L4 >> 51; a.L4 &= Mask; a.L0 += 19 * c; // 2^255 ≡ 19 (mod p)
            return a;
        }

        // Inputs of Add are reduced (< 2^52), so the sum stays < 2^53 and is safe to multiply.
        public static Fe Add(in Fe a, in Fe b) =>
            new(a.L0 + b.L0, a.L1 + b.L1, a.L2 + b.L2, a.L3 + b.L3, a.L4 + b.L4);

        // a − b computed as a + 4p − b so no limb underflows (b < 2^52 < 4p limbs), then weakly reduced.
        public static Fe Sub(in Fe a, in Fe b) => Carry(new Fe(
            a.L0 + 0x1FFFFFFFFFFFB4UL - b.L0,
            a.L1 + 0x1FFFFFFFFFFFFCUL - b.L1,
            a.L2 + 0x1FFFFFFFFFFFFCUL - b.L2,
            a.L3 + 0x1FFFFFFFFFFFFCUL - b.L3,
            a.L4 + 0x1FFFFFFFFFFFFCUL - b.L4));

        private static UInt128 M(ulong x, ulong y)
        {
            ulong hi = Math.BigMul(x, y, out ulong lo);
            return new UInt128(hi, lo);
        }

        public static Fe Mul(in Fe a, in Fe b)
        {
            // Limbs < 2^54 in; 19·b < 2^59; each column < 5·2^113 < 2^116.
            ulong b1 = 19 * b.L1, b2 = 19 * b.L2, b3 = 19 * b.L3, b4 = 19 * b.L4;
            UInt128 t0 = M(a.L0, b.L0) + M(a.L1, b4) + M(a.L2, b3) + M(a.L3, b2) + M(a.L4, b1);
            UInt128 t1 = M(a.L0, b.L1) + M(a.L1, b.L0) + M(a.L2, b4) + M(a.L3, b3) + M(a.L4, b2);
            UInt128 t2 = M(a.L0, b.L2) + M(a.L1, b.L1) + M(a.L2, b.L0) + M(a.L3, b4) + M(a.L4, b3);
            UInt128 t3 = M(a.L0, b.L3) + M(a.L1, b.L2) + M(a.L2, b.L1) + M(a.L3, b.L0) + M(a.L4, b4);
            UInt128 t4 = M(a.L0, b.L4) + M(a.L1, b.L3) + M(a.L2, b.L2) + M(a.L3, b.L1) + M(a.L4, b.L0);

            t1 += t0 >> 51;
            ulong r0 = (ulong)t0 & Mask;
            t2 += t1 >> 51;
            ulong r1 = (ulong)t1 & Mask;
            t3 += t2 >> 51;
            ulong r2 = (ulong)t2 & Mask;
            t4 += t3 >> 51;
            ulong r3 = (ulong)t3 & Mask;
            UInt128 top = t4 >> 51;
            ulong r4 = (ulong)t4 & Mask;
            // 2^255 ≡ 19: fold the carry out of limb 4 back into limb 0 (in 128 bits, it can exceed 2^64/19).
            UInt128 x = r0 + top * 19;
            r0 = (ulong)x & Mask;
            r1 += (ulong)(x >> 51);
            return new Fe(r0, r1, r2, r3, r4);
        }

        public static Fe Square(in Fe a) => Mul(a, a);

        // z^(p − 2) = z^(2^255 − 21) by square-and-multiply over the public exponent (Fermat).
        public static Fe Invert(in Fe z)
        {
            var r = One;
            for (int i = 254; i >= 0; i--)
            {
                r = Square(r);
                // 2^255 − 21 = 0x7fff…ffeb: every bit of 0..254 is set except bits 2 and 4.
                if (i != 2 && i != 4) r = Mul(r, z);
            }
            return r;
        }

        public static void ConditionalSwap(ref Fe a, ref Fe b, ulong bit)
        {
            ulong mask = 0UL - bit;
            ulong t;
            t = mask & (a.L0 ^ b.L0); a.L0 ^= t; b.L0 ^= t;
            t = mask & (a.L1 ^ b.L1); a.L1 ^= t; b.L1 ^= t;
            t = mask & (a.L2 ^ b.L2); a.L2 ^= t; b.L2 ^= t;
            t = mask & (a.L3 ^ b.L3); a.L3 ^= t; b.L3 ^= t;
            t = mask & (a.L4 ^ b.L4); a.L4 ^= t; b.L4 ^= t;
        }
    }
}
