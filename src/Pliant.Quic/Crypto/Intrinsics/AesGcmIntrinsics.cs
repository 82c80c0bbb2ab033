using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Pliant.Quic.Crypto.Intrinsics;

/// <summary>
/// AES-128-GCM and AES-256-GCM (NIST SP 800-38D) with a 12-byte nonce and a 16-byte tag, on AES-NI and
/// PCLMULQDQ: the key schedule and the GHASH key powers H..H⁸ are computed once per key, CTR runs eight
/// blocks at a time, GHASH folds eight blocks per reduction. No allocation per call.
/// </summary>
/// <remarks>
/// <para>Two paths. Where 256-bit VPCLMULQDQ exists (<see cref="IsWideSupported"/>), sealing and opening are
/// one pass: the AES rounds of one group of eight counter blocks are interleaved with the GHASH of eight
/// ciphertext blocks (two per carry-less multiplication), which keeps the AES and CLMUL units busy at the same
/// time; opening decrypts while hashing and wipes the plaintext if the tag is wrong. Otherwise CTR and GHASH
/// are separate passes with 128-bit PCLMULQDQ, and opening verifies before decrypting. Either way the last
/// few blocks, the length block and (for short packets) the AAD share one reduction. .NET 10 exposes no
/// VAES, so AES always runs on 128-bit registers; a 512-bit VPCLMULQDQ variant of the one-pass loop measured
/// no faster than the 256-bit one on the development machine (AMD EPYC), so there is none.</para>
/// <para>GHASH representation. SP 800-38D §6.3 numbers the bits of a block from the most significant bit
/// of byte 0 (x⁰) to the least significant bit of byte 15 (x¹²⁷). Reversing the 16 bytes of a block and
/// reading it as a little-endian 128-bit integer puts the coefficient of xⁱ at integer bit 127 − i (the
/// "reflected" form). A carry-less product of two reflected values is the reflected 255-bit product, i.e. the
/// product times x when read as a reflected 256-bit value; the hash key is therefore stored as H·x⁻¹
/// (the reflected H shifted left by one bit, reduced), so the raw product already means A·H. The 256-bit
/// reflected product r is reduced as a Montgomery reduction by y¹²⁸ modulo the reflected polynomial
/// y¹²⁸ + y¹²⁷ + y¹²⁶ + y¹²¹ + 1, which two 64-bit folds with the constant 0xC2000000_00000000 perform.</para>
/// <para><see cref="Seal"/> and <see cref="Open"/> keep no state between calls (several threads may share an
/// instance); only <see cref="Clear"/> must not race a call.</para>
/// </remarks>
internal sealed class AesGcmIntrinsics
{
    /// <summary>Nonce length (SP 800-38D §8.2.1 recommends 96 bits; QUIC and TLS 1.3 use it).</summary>
    public const int NonceSize = 12;

    /// <summary>Tag length (128 bits).</summary>
    public const int TagSize = 16;

    private const int Parallel = 8;
    private const int GroupBytes = Parallel * 16;

    private readonly Vector128<byte>[] _roundKeys = new Vector128<byte>[AesKeySchedule.MaxRoundKeys];
    private int _rounds;
    // _hPowers[i] = reflected H^(i+1)·x⁻¹; _hKaratsuba[i] = its two 64-bit halves XORed (both lanes),
    // the middle operand of a Karatsuba multiplication.
    private readonly Vector128<ulong>[] _hPowers = new Vector128<ulong>[Parallel];
    private readonly Vector128<ulong>[] _hKaratsuba = new Vector128<ulong>[Parallel];
    // The same powers in descending order, H⁸ first, so that 256-bit loads at entries 0, 2, 4, 6 yield the
    // pairs (H⁸, H⁷), (H⁶, H⁵), (H⁴, H³), (H², H¹) for the blocks 1–2, 3–4, 5–6, 7–8 of a group.
    private readonly Vector128<ulong>[] _descending = new Vector128<ulong>[Parallel];
    private readonly Vector128<ulong>[] _descendingKaratsuba = new Vector128<ulong>[Parallel];
    private readonly bool _wide;

    /// <summary>True when AES-NI, PCLMULQDQ and SSSE3/SSE4.1 are available.</summary>
    public static bool IsSupported => X86Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported && Sse41.IsSupported;

    /// <summary>True when GHASH can use 256-bit VPCLMULQDQ (two blocks per instruction).</summary>
    public static bool IsWideSupported => Pclmulqdq.V256.IsSupported && Avx2.IsSupported;

    /// <summary>Expands a 16-byte (AES-128) or 32-byte (AES-256) key.</summary>
    public AesGcmIntrinsics(ReadOnlySpan<byte> key) : this(key, IsWideSupported)
    {
    }

    /// <summary>Expands the key; <paramref name="wide"/> selects 256-bit VPCLMULQDQ for GHASH (tests cover both).</summary>
    internal AesGcmIntrinsics(ReadOnlySpan<byte> key, bool wide)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("AES-NI and PCLMULQDQ are not available");
        _wide = wide && IsWideSupported;
        Rekey(key);
    }

    /// <summary>
    /// Expands <paramref name="key"/> into this instance in place, replacing its key: what a new instance would hold,
    /// without allocating one (the Initial inspector opens each junk Initial under fresh keys). Must not race a call.
    /// </summary>
    internal void Rekey(ReadOnlySpan<byte> key)
    {
        _rounds = AesKeySchedule.Expand(key, _roundKeys);

        // SP 800-38D §6.4: H = CIPH_K(0^128).
        var h = AesKeySchedule.EncryptBlock(Vector128<byte>.Zero, _roundKeys, _rounds);
        var hr = Ssse3.Shuffle(h, ByteReverse).AsUInt64();
        // H·x⁻¹ in reflected form: shift the 128-bit value left by one; the bit shifted out was the x⁰
        // coefficient, and x⁰·x⁻¹ = x¹²⁷ + x⁶ + x + 1 (because x·(x¹²⁷ + x⁶ + x + 1) ≡ 1 mod the GCM
        // polynomial), i.e. integer bits 0, 121, 126 and 127. Branch-free on the key-derived bit.
        ulong lo = hr.GetElement(0), hi = hr.GetElement(1);
        ulong carry = 0 - (hi >> 63);
        hi = (hi << 1) | (lo >> 63);
        lo <<= 1;
        hi ^= carry & 0xC200000000000000UL;
        lo ^= carry & 1UL;
        var h1 = Vector128.Create(lo, hi);

        var power = h1;
        for (int i = 0; i < Parallel; i++)
        {
            _hPowers[i] = power;
            _hKaratsuba[i] = power ^ Swap(power);
            _descending[Parallel - 1 - i] = power;
            _descendingKaratsuba[Parallel - 1 - i] = _hKaratsuba[i];
            // (A·x⁻¹)·(B·x⁻¹) read as a product means A·B·x⁻¹: the representation of the next power.
            power = Multiply(power, h1);
        }
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(new Span<Vector128<byte>>(ref h)));
    }

    /// <summary>Zeroes the expanded key and the hash key powers (the instance is unusable afterwards).</summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_roundKeys.AsSpan()));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_hPowers.AsSpan()));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_hKaratsuba.AsSpan()));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_descending.AsSpan()));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_descendingKaratsuba.AsSpan()));
    }

    /// <summary>Seal and open take the same shapes: a 12-byte nonce, equal lengths in and out, a 16-byte tag.</summary>
    private static void CheckArguments(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, ReadOnlySpan<byte> output,
        ReadOnlySpan<byte> tag, string outputName)
    {
        if (nonce.Length != NonceSize) throw new ArgumentException("the nonce is 12 bytes", nameof(nonce));
        if (output.Length != input.Length) throw new ArgumentException("input and output lengths differ", outputName);
        if (tag.Length != TagSize) throw new ArgumentException("the tag is 16 bytes", nameof(tag));
        if (input.Overlaps(output, out int shift) && shift != 0)
            throw new ArgumentException("input and output overlap without being the same memory", outputName);
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (same length; the same memory
    /// or disjoint) and writes the 16-byte <paramref name="tag"/> over <paramref name="aad"/> and the ciphertext.
    /// </summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag,
        ReadOnlySpan<byte> aad)
    {
        CheckArguments(nonce, plaintext, ciphertext, tag, nameof(ciphertext));

        var counter = CounterBase(nonce);
        // SP 800-38D §7.1 step 6/7: J0 = IV || 0^31 || 1 masks the tag; the data uses inc32(J0) onwards.
        var tagMask = EncryptCounter(counter, 1);
        ref byte src = ref MemoryMarshal.GetReference(plaintext);
        ref byte dst = ref MemoryMarshal.GetReference(ciphertext);
        Vector128<ulong> y;
        if (_wide)
        {
            nuint length = (nuint)plaintext.Length;
            y = WideGroups<Encrypting>(counter, ref src, ref dst, length, aad, out nuint whole, out nuint aadLength);
            ref byte a = ref MemoryMarshal.GetReference(aad);
            if (whole != length)
            {
                CtrXorTail(counter + Vector128.Create(0u, 0u, 0u, 2u + (uint)(whole / 16)),
                    ref Unsafe.Add(ref src, whole), ref Unsafe.Add(ref dst, whole), length - whole);
            }
            y = GhashFinal(y, ref a, aadLength, ref Unsafe.Add(ref dst, whole), length - whole, aad.Length, plaintext.Length);
        }
        else
        {
            CtrXor(counter, ref src, ref dst, (nuint)plaintext.Length);
            y = GhashNarrow(Vector128<ulong>.Zero, ref MemoryMarshal.GetReference(aad), (nuint)aad.Length);
            nuint whole = (nuint)ciphertext.Length & ~(nuint)(GroupBytes - 1);
            y = GhashNarrow(y, ref dst, whole);
            y = GhashFinal(y, ref dst, 0, ref Unsafe.Add(ref dst, whole), (nuint)ciphertext.Length - whole, aad.Length, ciphertext.Length);
        }
        // SP 800-38D §7.1 step 7: T = MSB_t(GCTR_K(J0, S)).
        (Ssse3.Shuffle(y.AsByte(), ByteReverse) ^ tagMask).StoreUnsafe(ref MemoryMarshal.GetReference(tag));
    }

    /// <summary>
    /// Decrypts <paramref name="ciphertext"/> into <paramref name="plaintext"/> (same length; the same memory or
    /// disjoint) and verifies <paramref name="tag"/> over <paramref name="aad"/> and the ciphertext. On a mismatch
    /// returns false and zeroes <paramref name="plaintext"/>, so no unauthenticated plaintext is released.
    /// </summary>
    public bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext,
        ReadOnlySpan<byte> aad)
    {
        CheckArguments(nonce, ciphertext, plaintext, tag, nameof(plaintext));

        var counter = CounterBase(nonce);
        var tagMask = EncryptCounter(counter, 1);
        ref byte src = ref MemoryMarshal.GetReference(ciphertext);
        ref byte dst = ref MemoryMarshal.GetReference(plaintext);
        Vector128<ulong> y;
        if (_wide)
        {
            // One pass: each group of eight ciphertext blocks is loaded, hashed and decrypted before its plaintext
            // is stored (in place is safe); the plaintext is wiped below if the tag does not match.
            nuint length = (nuint)ciphertext.Length;
            y = WideGroups<Decrypting>(counter, ref src, ref dst, length, aad, out nuint whole, out nuint aadLength);
            ref byte a = ref MemoryMarshal.GetReference(aad);
            y = GhashFinal(y, ref a, aadLength, ref Unsafe.Add(ref src, whole), length - whole, aad.Length, ciphertext.Length);
            if (whole != length)
            {
                CtrXorTail(counter + Vector128.Create(0u, 0u, 0u, 2u + (uint)(whole / 16)),
                    ref Unsafe.Add(ref src, whole), ref Unsafe.Add(ref dst, whole), length - whole);
            }
        }
        else
        {
            // SP 800-38D §7.2: the tag is recomputed over the ciphertext before anything is decrypted.
            y = GhashNarrow(Vector128<ulong>.Zero, ref MemoryMarshal.GetReference(aad), (nuint)aad.Length);
            nuint whole = (nuint)ciphertext.Length & ~(nuint)(GroupBytes - 1);
            y = GhashNarrow(y, ref src, whole);
            y = GhashFinal(y, ref src, 0, ref Unsafe.Add(ref src, whole), (nuint)ciphertext.Length - whole, aad.Length, ciphertext.Length);
        }
        var expected = Ssse3.Shuffle(y.AsByte(), ByteReverse) ^ tagMask;
        // SP 800-38D §7.2 step 8: compare all 16 bytes at once, in constant time: one XOR and one PTEST (ZF set
        // iff every bit of the difference is 0), no loop and no data-dependent branch before the single verdict.
        // (CryptographicOperations.FixedTimeEquals is equally constant-time but compiled without optimisation by
        // design; it measured ~85 ns per 16-byte call here, more than sealing a small packet.)
        var difference = expected ^ Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(tag));
        if (!Sse41.TestZ(difference, difference))
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
        if (!_wide) CtrXor(counter, ref src, ref dst, (nuint)ciphertext.Length);
        return true;
    }

    // Byte reversal of a whole block (block ↔ reflected GHASH operand).
    private static Vector128<byte> ByteReverse
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    }

    // Byte reversal of the last 32-bit word only: the counter lives little-endian in lane 3 of a register and is
    // big-endian in the block (SP 800-38D §6.2 inc32 works on the rightmost 32 bits as an integer).
    private static Vector128<byte> CounterSwap
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 14, 13, 12);
    }

    // The reduction constant: x¹²⁸ ≡ x⁷ + x² + x + 1, reflected into the top byte of a 64-bit word.
    private static Vector128<ulong> Polynomial
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.Create(0xC200000000000000UL, 0UL);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> CounterBase(ReadOnlySpan<byte> nonce) =>
        Vector128.Create(MemoryMarshal.Read<ulong>(nonce), MemoryMarshal.Read<uint>(nonce[8..])).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Swap(Vector128<ulong> v) => Sse2.Shuffle(v.AsUInt32(), 0x4E).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> CounterBlock(Vector128<uint> counter, uint value) =>
        Ssse3.Shuffle((counter + Vector128.Create(0u, 0u, 0u, value)).AsByte(), CounterSwap);

    private Vector128<byte> EncryptCounter(Vector128<uint> counter, uint value) =>
        AesKeySchedule.EncryptBlock(CounterBlock(counter, value), ref MemoryMarshal.GetArrayDataReference(_roundKeys), _rounds);

    /// <summary>GCTR (SP 800-38D §6.5) from inc32(J0) = counter 2: dst = src XOR keystream, eight blocks at a time.</summary>
    private void CtrXor(Vector128<uint> counter, ref byte src, ref byte dst, nuint length)
    {
        ref Vector128<byte> rk = ref MemoryMarshal.GetArrayDataReference(_roundKeys);
        int rounds = _rounds;
        var swap = CounterSwap;
        var c = counter + Vector128.Create(0u, 0u, 0u, 2u);
        nuint offset = 0;
        while (length - offset >= GroupBytes)
        {
            var k = rk;
            var b0 = Ssse3.Shuffle(c.AsByte(), swap) ^ k;
            var b1 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 1u)).AsByte(), swap) ^ k;
            var b2 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 2u)).AsByte(), swap) ^ k;
            var b3 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 3u)).AsByte(), swap) ^ k;
            var b4 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 4u)).AsByte(), swap) ^ k;
            var b5 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 5u)).AsByte(), swap) ^ k;
            var b6 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 6u)).AsByte(), swap) ^ k;
            var b7 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 7u)).AsByte(), swap) ^ k;
            c += Vector128.Create(0u, 0u, 0u, 8u);
            for (int r = 1; r < rounds; r++)
            {
                k = Unsafe.Add(ref rk, r);
                b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k);
                b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
                b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k);
                b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            }
            k = Unsafe.Add(ref rk, rounds);
            ref byte s = ref Unsafe.Add(ref src, offset);
            ref byte d = ref Unsafe.Add(ref dst, offset);
            // Every input block is loaded before its output block is stored, so in place is safe.
            (X86Aes.EncryptLast(b0, k) ^ Vector128.LoadUnsafe(ref s, 0)).StoreUnsafe(ref d, 0);
            (X86Aes.EncryptLast(b1, k) ^ Vector128.LoadUnsafe(ref s, 16)).StoreUnsafe(ref d, 16);
            (X86Aes.EncryptLast(b2, k) ^ Vector128.LoadUnsafe(ref s, 32)).StoreUnsafe(ref d, 32);
            (X86Aes.EncryptLast(b3, k) ^ Vector128.LoadUnsafe(ref s, 48)).StoreUnsafe(ref d, 48);
            (X86Aes.EncryptLast(b4, k) ^ Vector128.LoadUnsafe(ref s, 64)).StoreUnsafe(ref d, 64);
            (X86Aes.EncryptLast(b5, k) ^ Vector128.LoadUnsafe(ref s, 80)).StoreUnsafe(ref d, 80);
            (X86Aes.EncryptLast(b6, k) ^ Vector128.LoadUnsafe(ref s, 96)).StoreUnsafe(ref d, 96);
            (X86Aes.EncryptLast(b7, k) ^ Vector128.LoadUnsafe(ref s, 112)).StoreUnsafe(ref d, 112);
            offset += GroupBytes;
        }
        if (offset < length) CtrXorTail(c, ref Unsafe.Add(ref src, offset), ref Unsafe.Add(ref dst, offset), length - offset);
    }

    private interface IDirection
    {
        /// <summary>True when sealing: GHASH runs over the output (ciphertext), else over the input.</summary>
        static abstract bool HashesOutput { get; }
    }

    private struct Encrypting : IDirection
    {
        public static bool HashesOutput => true;
    }

    private struct Decrypting : IDirection
    {
        public static bool HashesOutput => false;
    }

    /// <summary>
    /// CTR and GHASH in one pass over <paramref name="length"/> bytes (a multiple of 128). Each iteration runs the
    /// AES rounds of eight counter blocks and, between them, the GHASH of eight other blocks (four 256-bit
    /// carry-less multiplication pairs, one reduction): the previous group's ciphertext when sealing, the current
    /// group's ciphertext when opening. The two streams are independent, so the AES and CLMUL units overlap.
    /// </summary>
    /// <summary>
    /// The front of one-pass seal and open: the AAD (unless short: then <paramref name="aadLeft"/> is its
    /// length and <c>GhashFinal</c> hashes it with the tail and the lengths under one reduction), then every
    /// whole 128-byte group. <paramref name="whole"/> is how many bytes that covered.
    /// </summary>
    private Vector128<ulong> WideGroups<TDirection>(Vector128<uint> counter, ref byte src, ref byte dst, nuint length,
        ReadOnlySpan<byte> aad, out nuint whole, out nuint aadLeft) where TDirection : struct, IDirection
    {
        whole = length & ~(nuint)(GroupBytes - 1);
        aadLeft = (nuint)aad.Length;
        var y = Vector128<ulong>.Zero;
        if (whole != 0 || aadLeft > GroupBytes)
        {
            y = GhashWide(y, ref MemoryMarshal.GetReference(aad), aadLeft);
            aadLeft = 0;
        }
        if (whole != 0) y = CryptGroupsWide<TDirection>(y, counter, ref src, ref dst, whole);
        return y;
    }

    private Vector128<ulong> CryptGroupsWide<TDirection>(Vector128<ulong> y, Vector128<uint> counter, ref byte src,
        ref byte dst, nuint length)
        where TDirection : struct, IDirection
    {
        ref Vector128<byte> rk = ref MemoryMarshal.GetArrayDataReference(_roundKeys);
        bool aes256 = _rounds == 14;
        ref ulong pw = ref Unsafe.As<Vector128<ulong>, ulong>(ref MemoryMarshal.GetArrayDataReference(_descending));
        ref ulong kw = ref Unsafe.As<Vector128<ulong>, ulong>(ref MemoryMarshal.GetArrayDataReference(_descendingKaratsuba));
        var reverse = Vector256.Create(ByteReverse, ByteReverse);
        var swap = CounterSwap;
        var poly = Polynomial;
        var c = counter + Vector128.Create(0u, 0u, 0u, 2u);
        Vector256<ulong> a0 = default, a1 = default, a2 = default, a3 = default;
        nuint offset = 0;
        if (TDirection.HashesOutput)
        {
            // The first group is encrypted alone; its ciphertext is hashed during the next group's rounds.
            CtrXor(counter, ref src, ref dst, GroupBytes);
            a0 = Avx2.Shuffle(Vector256.LoadUnsafe(ref dst, 0), reverse).AsUInt64();
            a1 = Avx2.Shuffle(Vector256.LoadUnsafe(ref dst, 32), reverse).AsUInt64();
            a2 = Avx2.Shuffle(Vector256.LoadUnsafe(ref dst, 64), reverse).AsUInt64();
            a3 = Avx2.Shuffle(Vector256.LoadUnsafe(ref dst, 96), reverse).AsUInt64();
            c += Vector128.Create(0u, 0u, 0u, 8u);
            offset = GroupBytes;
        }
        while (offset < length)
        {
            ref byte s = ref Unsafe.Add(ref src, offset);
            ref byte d = ref Unsafe.Add(ref dst, offset);
            if (!TDirection.HashesOutput)
            {
                // Opening hashes this group's ciphertext, read before any plaintext is stored (in place is safe).
                a0 = Avx2.Shuffle(Vector256.LoadUnsafe(ref s, 0), reverse).AsUInt64();
                a1 = Avx2.Shuffle(Vector256.LoadUnsafe(ref s, 32), reverse).AsUInt64();
                a2 = Avx2.Shuffle(Vector256.LoadUnsafe(ref s, 64), reverse).AsUInt64();
                a3 = Avx2.Shuffle(Vector256.LoadUnsafe(ref s, 96), reverse).AsUInt64();
            }
            // GHASH group: Y' = (Y ⊕ X1)·H⁸ ⊕ X2·H⁷ ⊕ … ⊕ X8·H (SP 800-38D §6.4, aggregated).
            a0 ^= y.ToVector256();
            var k = rk;
            var b0 = Ssse3.Shuffle(c.AsByte(), swap) ^ k;
            var b1 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 1u)).AsByte(), swap) ^ k;
            var b2 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 2u)).AsByte(), swap) ^ k;
            var b3 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 3u)).AsByte(), swap) ^ k;
            var b4 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 4u)).AsByte(), swap) ^ k;
            var b5 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 5u)).AsByte(), swap) ^ k;
            var b6 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 6u)).AsByte(), swap) ^ k;
            var b7 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 7u)).AsByte(), swap) ^ k;
            c += Vector128.Create(0u, 0u, 0u, 8u);
            k = Unsafe.Add(ref rk, 1);
            b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            var lo = Pclmulqdq.V256.CarrylessMultiply(a0, Vector256.LoadUnsafe(ref pw, 0), 0x00);
            var hi = Pclmulqdq.V256.CarrylessMultiply(a0, Vector256.LoadUnsafe(ref pw, 0), 0x11);
            k = Unsafe.Add(ref rk, 2);
            b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            var mid = Pclmulqdq.V256.CarrylessMultiply(a0 ^ Swap(a0), Vector256.LoadUnsafe(ref kw, 0), 0x00);
            lo ^= Pclmulqdq.V256.CarrylessMultiply(a1, Vector256.LoadUnsafe(ref pw, 4), 0x00);
            k = Unsafe.Add(ref rk, 3);
            b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            hi ^= Pclmulqdq.V256.CarrylessMultiply(a1, Vector256.LoadUnsafe(ref pw, 4), 0x11);
            mid ^= Pclmulqdq.V256.CarrylessMultiply(a1 ^ Swap(a1), Vector256.LoadUnsafe(ref kw, 4), 0x00);
            k = Unsafe.Add(ref rk, 4);
            b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            lo ^= Pclmulqdq.V256.CarrylessMultiply(a2, Vector256.LoadUnsafe(ref pw, 8), 0x00);
            hi ^= Pclmulqdq.V256.CarrylessMultiply(a2, Vector256.LoadUnsafe(ref pw, 8), 0x11);
            k = Unsafe.Add(ref rk, 5);
            b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            mid ^= Pclmulqdq.V256.CarrylessMultiply(a2 ^ Swap(a2), Vector256.LoadUnsafe(ref kw, 8), 0x00);
            lo ^= Pclmulqdq.V256.CarrylessMultiply(a3, Vector256.LoadUnsafe(ref pw, 12), 0x00);
            k = Unsafe.Add(ref rk, 6);
            b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            hi ^= Pclmulqdq.V256.CarrylessMultiply(a3, Vector256.LoadUnsafe(ref pw, 12), 0x11);
            mid ^= Pclmulqdq.V256.CarrylessMultiply(a3 ^ Swap(a3), Vector256.LoadUnsafe(ref kw, 12), 0x00);
            k = Unsafe.Add(ref rk, 7);
            b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            var l = lo.GetLower() ^ lo.GetUpper();
            var h = hi.GetLower() ^ hi.GetUpper();
            var m = mid.GetLower() ^ mid.GetUpper() ^ l ^ h;
            l ^= Sse2.ShiftLeftLogical128BitLane(m, 8);
            h ^= Sse2.ShiftRightLogical128BitLane(m, 8);
            k = Unsafe.Add(ref rk, 8);
            b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            l = Swap(l) ^ Pclmulqdq.CarrylessMultiply(l, poly, 0x00);
            k = Unsafe.Add(ref rk, 9);
            b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            l = Swap(l) ^ Pclmulqdq.CarrylessMultiply(l, poly, 0x00);
            y = h ^ l;
            if (aes256)
            {
                // AES-256: rounds 10..13 (FIPS 197 §5.1, Nr = 14).
                k = Unsafe.Add(ref rk, 10);
                b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
                b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
                k = Unsafe.Add(ref rk, 11);
                b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
                b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
                k = Unsafe.Add(ref rk, 12);
                b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
                b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
                k = Unsafe.Add(ref rk, 13);
                b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k); b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
                b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k); b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
            }
            k = Unsafe.Add(ref rk, aes256 ? 14 : 10);
            var o0 = X86Aes.EncryptLast(b0, k) ^ Vector128.LoadUnsafe(ref s, 0);
            var o1 = X86Aes.EncryptLast(b1, k) ^ Vector128.LoadUnsafe(ref s, 16);
            var o2 = X86Aes.EncryptLast(b2, k) ^ Vector128.LoadUnsafe(ref s, 32);
            var o3 = X86Aes.EncryptLast(b3, k) ^ Vector128.LoadUnsafe(ref s, 48);
            var o4 = X86Aes.EncryptLast(b4, k) ^ Vector128.LoadUnsafe(ref s, 64);
            var o5 = X86Aes.EncryptLast(b5, k) ^ Vector128.LoadUnsafe(ref s, 80);
            var o6 = X86Aes.EncryptLast(b6, k) ^ Vector128.LoadUnsafe(ref s, 96);
            var o7 = X86Aes.EncryptLast(b7, k) ^ Vector128.LoadUnsafe(ref s, 112);
            o0.StoreUnsafe(ref d, 0);
            o1.StoreUnsafe(ref d, 16);
            o2.StoreUnsafe(ref d, 32);
            o3.StoreUnsafe(ref d, 48);
            o4.StoreUnsafe(ref d, 64);
            o5.StoreUnsafe(ref d, 80);
            o6.StoreUnsafe(ref d, 96);
            o7.StoreUnsafe(ref d, 112);
            if (TDirection.HashesOutput)
            {
                a0 = Avx2.Shuffle(Vector256.Create(o0, o1), reverse).AsUInt64();
                a1 = Avx2.Shuffle(Vector256.Create(o2, o3), reverse).AsUInt64();
                a2 = Avx2.Shuffle(Vector256.Create(o4, o5), reverse).AsUInt64();
                a3 = Avx2.Shuffle(Vector256.Create(o6, o7), reverse).AsUInt64();
            }
            offset += GroupBytes;
        }
        if (TDirection.HashesOutput) y = HashPairs(y, a0, a1, a2, a3);
        return y;
    }

    /// <summary>GHASH of eight byte-reversed blocks held as four pairs, continuing from <paramref name="y"/>.</summary>
    private Vector128<ulong> HashPairs(Vector128<ulong> y, Vector256<ulong> a0, Vector256<ulong> a1, Vector256<ulong> a2,
        Vector256<ulong> a3)
    {
        ref ulong pw = ref Unsafe.As<Vector128<ulong>, ulong>(ref MemoryMarshal.GetArrayDataReference(_descending));
        ref ulong kw = ref Unsafe.As<Vector128<ulong>, ulong>(ref MemoryMarshal.GetArrayDataReference(_descendingKaratsuba));
        a0 ^= y.ToVector256();
        var lo = Pclmulqdq.V256.CarrylessMultiply(a0, Vector256.LoadUnsafe(ref pw, 0), 0x00)
            ^ Pclmulqdq.V256.CarrylessMultiply(a1, Vector256.LoadUnsafe(ref pw, 4), 0x00)
            ^ Pclmulqdq.V256.CarrylessMultiply(a2, Vector256.LoadUnsafe(ref pw, 8), 0x00)
            ^ Pclmulqdq.V256.CarrylessMultiply(a3, Vector256.LoadUnsafe(ref pw, 12), 0x00);
        var hi = Pclmulqdq.V256.CarrylessMultiply(a0, Vector256.LoadUnsafe(ref pw, 0), 0x11)
            ^ Pclmulqdq.V256.CarrylessMultiply(a1, Vector256.LoadUnsafe(ref pw, 4), 0x11)
            ^ Pclmulqdq.V256.CarrylessMultiply(a2, Vector256.LoadUnsafe(ref pw, 8), 0x11)
            ^ Pclmulqdq.V256.CarrylessMultiply(a3, Vector256.LoadUnsafe(ref pw, 12), 0x11);
        var mid = Pclmulqdq.V256.CarrylessMultiply(a0 ^ Swap(a0), Vector256.LoadUnsafe(ref kw, 0), 0x00)
            ^ Pclmulqdq.V256.CarrylessMultiply(a1 ^ Swap(a1), Vector256.LoadUnsafe(ref kw, 4), 0x00)
            ^ Pclmulqdq.V256.CarrylessMultiply(a2 ^ Swap(a2), Vector256.LoadUnsafe(ref kw, 8), 0x00)
            ^ Pclmulqdq.V256.CarrylessMultiply(a3 ^ Swap(a3), Vector256.LoadUnsafe(ref kw, 12), 0x00);
        return Reduce(lo.GetLower() ^ lo.GetUpper(), hi.GetLower() ^ hi.GetUpper(), mid.GetLower() ^ mid.GetUpper());
    }

    /// <summary>
    /// GHASH of the rest of the stream, continuing from <paramref name="y"/>: <paramref name="aadLength"/> bytes of
    /// AAD, then <paramref name="textLength"/> bytes of ciphertext (each zero-padded to a whole block, SP 800-38D
    /// §7.1 step 5), then the length block [len(A)]64 || [len(C)]64 of the whole message. Block by block with
    /// 128-bit multiplications and one reduction per eight blocks: for the few blocks at the end of a packet (or
    /// all of a short one) that beats setting up wide operands.
    /// </summary>
    private Vector128<ulong> GhashFinal(Vector128<ulong> y, ref byte aad, nuint aadLength, ref byte text, nuint textLength,
        int totalAadLength, int totalTextLength)
    {
        ref Vector128<ulong> hp = ref MemoryMarshal.GetArrayDataReference(_hPowers);
        ref Vector128<ulong> hk = ref MemoryMarshal.GetArrayDataReference(_hKaratsuba);
        var reverse = ByteReverse;
        int aadBlocks = (int)((aadLength + 15) / 16);
        int textBlocks = (int)((textLength + 15) / 16);
        int total = aadBlocks + textBlocks + 1;
        // Group sizes: the remainder first, then eights; block j of a group of n takes H^(n−j).
        int left = total % Parallel == 0 ? Parallel : total % Parallel;
        var lo = Vector128<ulong>.Zero;
        var hi = Vector128<ulong>.Zero;
        var mid = Vector128<ulong>.Zero;
        var carry = y;
        for (int i = 0; i < total; i++)
        {
            Vector128<ulong> x;
            if (i < aadBlocks)
            {
                x = Ssse3.Shuffle(LoadBlock(ref aad, (nuint)i * 16, aadLength), reverse).AsUInt64();
            }
            else if (i < aadBlocks + textBlocks)
            {
                x = Ssse3.Shuffle(LoadBlock(ref text, (nuint)(i - aadBlocks) * 16, textLength), reverse).AsUInt64();
            }
            else
            {
                // SP 800-38D §7.1 step 5, already in reflected form: len(C) in the low word, len(A) in the high one.
                x = Vector128.Create((ulong)totalTextLength * 8, (ulong)totalAadLength * 8);
            }
            x ^= carry;
            carry = Vector128<ulong>.Zero;
            left--;
            MulAcc(x, Unsafe.Add(ref hp, left), Unsafe.Add(ref hk, left), ref lo, ref hi, ref mid);
            if (left == 0)
            {
                carry = Reduce(lo, hi, mid);
                lo = hi = mid = Vector128<ulong>.Zero;
                left = Parallel;
            }
        }
        return carry;
    }

    /// <summary>The 16 bytes at <paramref name="offset"/>, or the 1..15 left before <paramref name="length"/>, zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> LoadBlock(ref byte data, nuint offset, nuint length) =>
        length - offset >= 16 ? Vector128.LoadUnsafe(ref data, offset) : LoadPartial(ref Unsafe.Add(ref data, offset), length - offset);

    /// <summary>The last 1..127 bytes: four or eight keystream blocks in parallel, kept in registers, then XOR.</summary>
    private void CtrXorTail(Vector128<uint> c, ref byte src, ref byte dst, nuint length)
    {
        ref Vector128<byte> rk = ref MemoryMarshal.GetArrayDataReference(_roundKeys);
        int rounds = _rounds;
        var swap = CounterSwap;
        var k = rk;
        var b0 = Ssse3.Shuffle(c.AsByte(), swap) ^ k;
        var b1 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 1u)).AsByte(), swap) ^ k;
        var b2 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 2u)).AsByte(), swap) ^ k;
        var b3 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 3u)).AsByte(), swap) ^ k;
        if (length <= 64)
        {
            for (int r = 1; r < rounds; r++)
            {
                k = Unsafe.Add(ref rk, r);
                b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k);
                b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            }
            k = Unsafe.Add(ref rk, rounds);
            b0 = X86Aes.EncryptLast(b0, k);
            b1 = X86Aes.EncryptLast(b1, k);
            b2 = X86Aes.EncryptLast(b2, k);
            b3 = X86Aes.EncryptLast(b3, k);
            XorBlock(ref src, ref dst, 0, length, b0);
            XorBlock(ref src, ref dst, 16, length, b1);
            XorBlock(ref src, ref dst, 32, length, b2);
            XorBlock(ref src, ref dst, 48, length, b3);
            return;
        }
        var b4 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 4u)).AsByte(), swap) ^ k;
        var b5 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 5u)).AsByte(), swap) ^ k;
        var b6 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 6u)).AsByte(), swap) ^ k;
        var b7 = Ssse3.Shuffle((c + Vector128.Create(0u, 0u, 0u, 7u)).AsByte(), swap) ^ k;
        for (int r = 1; r < rounds; r++)
        {
            k = Unsafe.Add(ref rk, r);
            b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k);
            b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k); b5 = X86Aes.Encrypt(b5, k);
            b6 = X86Aes.Encrypt(b6, k); b7 = X86Aes.Encrypt(b7, k);
        }
        k = Unsafe.Add(ref rk, rounds);
        b0 = X86Aes.EncryptLast(b0, k);
        b1 = X86Aes.EncryptLast(b1, k);
        b2 = X86Aes.EncryptLast(b2, k);
        b3 = X86Aes.EncryptLast(b3, k);
        b4 = X86Aes.EncryptLast(b4, k);
        b5 = X86Aes.EncryptLast(b5, k);
        b6 = X86Aes.EncryptLast(b6, k);
        b7 = X86Aes.EncryptLast(b7, k);
        (b0 ^ Vector128.LoadUnsafe(ref src, 0)).StoreUnsafe(ref dst, 0);
        (b1 ^ Vector128.LoadUnsafe(ref src, 16)).StoreUnsafe(ref dst, 16);
        (b2 ^ Vector128.LoadUnsafe(ref src, 32)).StoreUnsafe(ref dst, 32);
        (b3 ^ Vector128.LoadUnsafe(ref src, 48)).StoreUnsafe(ref dst, 48);
        XorBlock(ref src, ref dst, 64, length, b4);
        XorBlock(ref src, ref dst, 80, length, b5);
        XorBlock(ref src, ref dst, 96, length, b6);
        XorBlock(ref src, ref dst, 112, length, b7);
    }

    /// <summary>dst = src XOR keystream for the block at <paramref name="offset"/>, whole or the 1..15 bytes left (or nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorBlock(ref byte src, ref byte dst, nuint offset, nuint length, Vector128<byte> keyStream)
    {
        if (offset >= length) return;
        if (length - offset >= 16)
        {
            (keyStream ^ Vector128.LoadUnsafe(ref src, offset)).StoreUnsafe(ref dst, offset);
            return;
        }
        // Partial: read and write exactly the bytes left (the input is read before the output is written).
        StorePartial(ref Unsafe.Add(ref dst, offset), length - offset,
            keyStream ^ LoadPartial(ref Unsafe.Add(ref src, offset), length - offset));
    }

    // Writes the first 1..15 bytes of a block: 8-, 4-, 2- and 1-byte pieces by the bits of the length.
    private static void StorePartial(ref byte data, nuint length, Vector128<byte> block)
    {
        ulong piece = block.AsUInt64().ToScalar();
        nuint offset = 0;
        if ((length & 8) != 0)
        {
            Unsafe.WriteUnaligned(ref data, piece);
            piece = block.AsUInt64().GetElement(1);
            offset = 8;
        }
        if ((length & 4) != 0)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref data, offset), (uint)piece);
            piece >>= 32;
            offset += 4;
        }
        if ((length & 2) != 0)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref data, offset), (ushort)piece);
            piece >>= 16;
            offset += 2;
        }
        if ((length & 1) != 0) Unsafe.Add(ref data, offset) = (byte)piece;
    }

    /// <summary>
    /// GHASH (SP 800-38D §6.4) of <paramref name="length"/> bytes continuing from <paramref name="y"/>, the last
    /// partial block zero-padded (as §7.1 pads A and C). Eight blocks per reduction:
    /// Y' = (Y ⊕ X1)·H⁸ ⊕ X2·H⁷ ⊕ … ⊕ X8·H.
    /// </summary>
    private Vector128<ulong> Ghash(Vector128<ulong> y, ref byte data, nuint length) =>
        _wide ? GhashWide(y, ref data, length) : GhashNarrow(y, ref data, length);

    private Vector128<ulong> GhashNarrow(Vector128<ulong> y, ref byte data, nuint length)
    {
        ref Vector128<ulong> hp = ref MemoryMarshal.GetArrayDataReference(_hPowers);
        ref Vector128<ulong> hk = ref MemoryMarshal.GetArrayDataReference(_hKaratsuba);
        var reverse = ByteReverse;
        nuint offset = 0;
        while (length - offset >= GroupBytes)
        {
            ref byte d = ref Unsafe.Add(ref data, offset);
            var lo = Vector128<ulong>.Zero;
            var hi = Vector128<ulong>.Zero;
            var mid = Vector128<ulong>.Zero;
            MulAcc(Ssse3.Shuffle(Vector128.LoadUnsafe(ref d, 0), reverse).AsUInt64() ^ y, Unsafe.Add(ref hp, 7), Unsafe.Add(ref hk, 7), ref lo, ref hi, ref mid);
            MulAcc(Ssse3.Shuffle(Vector128.LoadUnsafe(ref d, 16), reverse).AsUInt64(), Unsafe.Add(ref hp, 6), Unsafe.Add(ref hk, 6), ref lo, ref hi, ref mid);
            MulAcc(Ssse3.Shuffle(Vector128.LoadUnsafe(ref d, 32), reverse).AsUInt64(), Unsafe.Add(ref hp, 5), Unsafe.Add(ref hk, 5), ref lo, ref hi, ref mid);
            MulAcc(Ssse3.Shuffle(Vector128.LoadUnsafe(ref d, 48), reverse).AsUInt64(), Unsafe.Add(ref hp, 4), Unsafe.Add(ref hk, 4), ref lo, ref hi, ref mid);
            MulAcc(Ssse3.Shuffle(Vector128.LoadUnsafe(ref d, 64), reverse).AsUInt64(), Unsafe.Add(ref hp, 3), Unsafe.Add(ref hk, 3), ref lo, ref hi, ref mid);
            MulAcc(Ssse3.Shuffle(Vector128.LoadUnsafe(ref d, 80), reverse).AsUInt64(), Unsafe.Add(ref hp, 2), Unsafe.Add(ref hk, 2), ref lo, ref hi, ref mid);
            MulAcc(Ssse3.Shuffle(Vector128.LoadUnsafe(ref d, 96), reverse).AsUInt64(), Unsafe.Add(ref hp, 1), Unsafe.Add(ref hk, 1), ref lo, ref hi, ref mid);
            MulAcc(Ssse3.Shuffle(Vector128.LoadUnsafe(ref d, 112), reverse).AsUInt64(), hp, hk, ref lo, ref hi, ref mid);
            y = Reduce(lo, hi, mid);
            offset += GroupBytes;
        }
        if (offset < length) y = GhashTail(y, ref Unsafe.Add(ref data, offset), length - offset);
        return y;
    }

    /// <summary>GHASH as <see cref="GhashNarrow"/>, two blocks per 256-bit carry-less multiplication.</summary>
    private Vector128<ulong> GhashWide(Vector128<ulong> y, ref byte data, nuint length)
    {
        ref ulong pw = ref Unsafe.As<Vector128<ulong>, ulong>(ref MemoryMarshal.GetArrayDataReference(_descending));
        ref ulong kw = ref Unsafe.As<Vector128<ulong>, ulong>(ref MemoryMarshal.GetArrayDataReference(_descendingKaratsuba));
        var reverse = Vector256.Create(ByteReverse, ByteReverse);
        nuint offset = 0;
        if (length >= GroupBytes)
        {
            var h0 = Vector256.LoadUnsafe(ref pw, 0);
            var h1 = Vector256.LoadUnsafe(ref pw, 4);
            var h2 = Vector256.LoadUnsafe(ref pw, 8);
            var h3 = Vector256.LoadUnsafe(ref pw, 12);
            var k0 = Vector256.LoadUnsafe(ref kw, 0);
            var k1 = Vector256.LoadUnsafe(ref kw, 4);
            var k2 = Vector256.LoadUnsafe(ref kw, 8);
            var k3 = Vector256.LoadUnsafe(ref kw, 12);
            do
            {
                ref byte d = ref Unsafe.Add(ref data, offset);
                var a0 = Avx2.Shuffle(Vector256.LoadUnsafe(ref d, 0), reverse).AsUInt64() ^ y.ToVector256();
                var a1 = Avx2.Shuffle(Vector256.LoadUnsafe(ref d, 32), reverse).AsUInt64();
                var a2 = Avx2.Shuffle(Vector256.LoadUnsafe(ref d, 64), reverse).AsUInt64();
                var a3 = Avx2.Shuffle(Vector256.LoadUnsafe(ref d, 96), reverse).AsUInt64();
                var lo = Pclmulqdq.V256.CarrylessMultiply(a0, h0, 0x00) ^ Pclmulqdq.V256.CarrylessMultiply(a1, h1, 0x00)
                    ^ Pclmulqdq.V256.CarrylessMultiply(a2, h2, 0x00) ^ Pclmulqdq.V256.CarrylessMultiply(a3, h3, 0x00);
                var hi = Pclmulqdq.V256.CarrylessMultiply(a0, h0, 0x11) ^ Pclmulqdq.V256.CarrylessMultiply(a1, h1, 0x11)
                    ^ Pclmulqdq.V256.CarrylessMultiply(a2, h2, 0x11) ^ Pclmulqdq.V256.CarrylessMultiply(a3, h3, 0x11);
                var mid = Pclmulqdq.V256.CarrylessMultiply(a0 ^ Swap(a0), k0, 0x00) ^ Pclmulqdq.V256.CarrylessMultiply(a1 ^ Swap(a1), k1, 0x00)
                    ^ Pclmulqdq.V256.CarrylessMultiply(a2 ^ Swap(a2), k2, 0x00) ^ Pclmulqdq.V256.CarrylessMultiply(a3 ^ Swap(a3), k3, 0x00);
                y = Reduce(lo.GetLower() ^ lo.GetUpper(), hi.GetLower() ^ hi.GetUpper(), mid.GetLower() ^ mid.GetUpper());
                offset += GroupBytes;
            }
            while (length - offset >= GroupBytes);
        }
        if (offset < length) y = GhashTail(y, ref Unsafe.Add(ref data, offset), length - offset);
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Swap(Vector256<ulong> v) => Avx2.Shuffle(v.AsUInt32(), 0x4E).AsUInt64();

    // The last 1..127 bytes as n ≤ 8 blocks (the last one zero-padded) under one reduction.
    private Vector128<ulong> GhashTail(Vector128<ulong> y, ref byte data, nuint length)
    {
        ref Vector128<ulong> hp = ref MemoryMarshal.GetArrayDataReference(_hPowers);
        ref Vector128<ulong> hk = ref MemoryMarshal.GetArrayDataReference(_hKaratsuba);
        var reverse = ByteReverse;
        int blocks = (int)((length + 15) / 16);
        var lo = Vector128<ulong>.Zero;
        var hi = Vector128<ulong>.Zero;
        var mid = Vector128<ulong>.Zero;
        nuint offset = 0;
        for (int i = 0; i < blocks; i++, offset += 16)
        {
            var block = length - offset >= 16 ? Vector128.LoadUnsafe(ref data, offset) : LoadPartial(ref Unsafe.Add(ref data, offset), length - offset);
            var x = Ssse3.Shuffle(block, reverse).AsUInt64();
            if (i == 0) x ^= y;
            int power = blocks - 1 - i;
            MulAcc(x, Unsafe.Add(ref hp, power), Unsafe.Add(ref hk, power), ref lo, ref hi, ref mid);
        }
        return Reduce(lo, hi, mid);
    }

    // 1..15 bytes into a zeroed block without reading past them: 8-, 4-, 2- and 1-byte pieces by the bits of the length.
    private static Vector128<byte> LoadPartial(ref byte data, nuint length)
    {
        ulong low = 0, high = 0;
        nuint offset = 0;
        if ((length & 8) != 0)
        {
            low = Unsafe.ReadUnaligned<ulong>(ref data);
            offset = 8;
        }
        ulong piece = 0;
        int shift = 0;
        if ((length & 4) != 0)
        {
            piece = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref data, offset));
            offset += 4;
            shift = 32;
        }
        if ((length & 2) != 0)
        {
            piece |= (ulong)Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref data, offset)) << shift;
            offset += 2;
            shift += 16;
        }
        if ((length & 1) != 0) piece |= (ulong)Unsafe.Add(ref data, offset) << shift;
        // Little-endian: the pieces after the first 8 bytes belong to the high word, else to the low one.
        if ((length & 8) != 0) high = piece;
        else low = piece;
        return Vector128.Create(low, high).AsByte();
    }

    /// <summary>Karatsuba carry-less product a·h accumulated into the unreduced (lo, hi, mid) sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulAcc(Vector128<ulong> a, Vector128<ulong> h, Vector128<ulong> hKaratsuba,
        ref Vector128<ulong> lo, ref Vector128<ulong> hi, ref Vector128<ulong> mid)
    {
        lo ^= Pclmulqdq.CarrylessMultiply(a, h, 0x00);
        hi ^= Pclmulqdq.CarrylessMultiply(a, h, 0x11);
        mid ^= Pclmulqdq.CarrylessMultiply(a ^ Swap(a), hKaratsuba, 0x00);
    }

    /// <summary>Finishes Karatsuba and reduces the 256-bit reflected product to 128 bits (see the remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reduce(Vector128<ulong> lo, Vector128<ulong> hi, Vector128<ulong> mid)
    {
        mid ^= lo ^ hi;
        lo ^= Sse2.ShiftLeftLogical128BitLane(mid, 8);
        hi ^= Sse2.ShiftRightLogical128BitLane(mid, 8);
        // lo = [X1:X0] holds the degrees 128..255. Fold X0 (adds X0·(y⁵⁷+y⁶²+y⁶³)·y⁶⁴ and X0·y¹²⁸), then the
        // updated X1 the same way; what is left in the high half is the product times y⁻¹²⁸ mod the polynomial.
        var poly = Polynomial;
        lo = Swap(lo) ^ Pclmulqdq.CarrylessMultiply(lo, poly, 0x00);
        lo = Swap(lo) ^ Pclmulqdq.CarrylessMultiply(lo, poly, 0x00);
        return hi ^ lo;
    }

    private static Vector128<ulong> Multiply(Vector128<ulong> a, Vector128<ulong> h)
    {
        var lo = Vector128<ulong>.Zero;
        var hi = Vector128<ulong>.Zero;
        var mid = Vector128<ulong>.Zero;
        MulAcc(a, h, h ^ Swap(h), ref lo, ref hi, ref mid);
        return Reduce(lo, hi, mid);
    }
}
