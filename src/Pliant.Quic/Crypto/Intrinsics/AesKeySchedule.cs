using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Pliant.Quic.Crypto.Intrinsics;

/// <summary>
/// AES-128 and AES-256 encryption key expansion (FIPS 197 §5.2) with AES-NI, and single-block
/// encryption with an expanded schedule. Callers check <see cref="IsSupported"/> first.
/// </summary>
internal static class AesKeySchedule
{
    /// <summary>Round keys of the largest schedule (AES-256: 14 rounds + 1).</summary>
    public const int MaxRoundKeys = 15;

    /// <summary>True when AES-NI (and the SSE2 shifts used here) are available.</summary>
    public static bool IsSupported => X86Aes.IsSupported && Sse2.IsSupported;

    /// <summary>
    /// Expands a 16- or 32-byte <paramref name="key"/> into <paramref name="roundKeys"/> (at least
    /// <see cref="MaxRoundKeys"/> entries) and returns the number of rounds (10 or 14).
    /// </summary>
    public static int Expand(ReadOnlySpan<byte> key, Span<Vector128<byte>> roundKeys)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("AES-NI is not available");
        if (roundKeys.Length < MaxRoundKeys) throw new ArgumentException("15 round keys are needed", nameof(roundKeys));
        switch (key.Length)
        {
            case 16:
                Expand128(key, roundKeys);
                return 10;
            case 32:
                Expand256(key, roundKeys);
                return 14;
            default:
                throw new ArgumentException("AES keys here are 16 or 32 bytes", nameof(key));
        }
    }

    private static void Expand128(ReadOnlySpan<byte> key, Span<Vector128<byte>> rk)
    {
        var k = Vector128.Create(key[..16]);
        rk[0] = k;
        // FIPS 197 §5.2: Rcon = 01, 02, 04, ..., 80, 1b, 36. AESKEYGENASSIST takes the constant as an immediate.
        k = Step(k, X86Aes.KeygenAssist(k, 0x01)); rk[1] = k;
        k = Step(k, X86Aes.KeygenAssist(k, 0x02)); rk[2] = k;
        k = Step(k, X86Aes.KeygenAssist(k, 0x04)); rk[3] = k;
        k = Step(k, X86Aes.KeygenAssist(k, 0x08)); rk[4] = k;
        k = Step(k, X86Aes.KeygenAssist(k, 0x10)); rk[5] = k;
        k = Step(k, X86Aes.KeygenAssist(k, 0x20)); rk[6] = k;
        k = Step(k, X86Aes.KeygenAssist(k, 0x40)); rk[7] = k;
        k = Step(k, X86Aes.KeygenAssist(k, 0x80)); rk[8] = k;
        k = Step(k, X86Aes.KeygenAssist(k, 0x1b)); rk[9] = k;
        k = Step(k, X86Aes.KeygenAssist(k, 0x36)); rk[10] = k;
    }

    private static void Expand256(ReadOnlySpan<byte> key, Span<Vector128<byte>> rk)
    {
        var a = Vector128.Create(key[..16]);
        var b = Vector128.Create(key.Slice(16, 16));
        rk[0] = a;
        rk[1] = b;
        // FIPS 197 §5.2 with Nk = 8: every 8th word takes RotWord+SubWord+Rcon of the previous word
        // (dword 3 of AESKEYGENASSIST), the word 4 after it takes SubWord only (dword 2).
        a = Step(a, X86Aes.KeygenAssist(b, 0x01)); rk[2] = a; b = StepSub(b, X86Aes.KeygenAssist(a, 0)); rk[3] = b;
        a = Step(a, X86Aes.KeygenAssist(b, 0x02)); rk[4] = a; b = StepSub(b, X86Aes.KeygenAssist(a, 0)); rk[5] = b;
        a = Step(a, X86Aes.KeygenAssist(b, 0x04)); rk[6] = a; b = StepSub(b, X86Aes.KeygenAssist(a, 0)); rk[7] = b;
        a = Step(a, X86Aes.KeygenAssist(b, 0x08)); rk[8] = a; b = StepSub(b, X86Aes.KeygenAssist(a, 0)); rk[9] = b;
        a = Step(a, X86Aes.KeygenAssist(b, 0x10)); rk[10] = a; b = StepSub(b, X86Aes.KeygenAssist(a, 0)); rk[11] = b;
        a = Step(a, X86Aes.KeygenAssist(b, 0x20)); rk[12] = a; b = StepSub(b, X86Aes.KeygenAssist(a, 0)); rk[13] = b;
        a = Step(a, X86Aes.KeygenAssist(b, 0x40)); rk[14] = a;
    }

    // w[i..i+3] = prefix-XOR of the previous four words, XORed with the transformed word in every lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Step(Vector128<byte> k, Vector128<byte> assist) =>
        PrefixXor(k) ^ Sse2.Shuffle(assist.AsUInt32(), 0xFF).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> StepSub(Vector128<byte> k, Vector128<byte> assist) =>
        PrefixXor(k) ^ Sse2.Shuffle(assist.AsUInt32(), 0xAA).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> PrefixXor(Vector128<byte> k)
    {
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        return k ^ Sse2.ShiftLeftLogical128BitLane(k, 4);
    }

    /// <summary>Encrypts one block with the expanded schedule starting at <paramref name="roundKeys"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> EncryptBlock(Vector128<byte> block, ref Vector128<byte> roundKeys, int rounds)
    {
        block ^= roundKeys;
        for (int r = 1; r < rounds; r++) block = X86Aes.Encrypt(block, Unsafe.Add(ref roundKeys, r));
        return X86Aes.EncryptLast(block, Unsafe.Add(ref roundKeys, rounds));
    }

    /// <summary>Encrypts one block (<paramref name="roundKeys"/> as returned by <see cref="Expand"/>).</summary>
    public static Vector128<byte> EncryptBlock(Vector128<byte> block, ReadOnlySpan<Vector128<byte>> roundKeys, int rounds)
    {
        if (roundKeys.Length <= rounds) throw new ArgumentException("schedule too short", nameof(roundKeys));
        return EncryptBlock(block, ref MemoryMarshal.GetReference(roundKeys), rounds);
    }
}
