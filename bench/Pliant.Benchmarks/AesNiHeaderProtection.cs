using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;
using Sse2 = System.Runtime.Intrinsics.X86.Sse2;

namespace Pliant.Benchmarks;

/// <summary>
/// A prototype for the header-protection recommendation in bench/README.md: AES-128-ECB of the
/// 16-byte sample with AES-NI (key expanded once), one sample or a batch. Not used by the stack;
/// checked against the BCL's AES in <see cref="HeaderProtectionBenchmarks.Setup"/>.
/// </summary>
public sealed class AesNiHeaderProtection
{
    private readonly Vector128<byte>[] _roundKeys = new Vector128<byte>[11];

    public static bool IsSupported => X86Aes.IsSupported && Sse2.IsSupported;

    public AesNiHeaderProtection(ReadOnlySpan<byte> key16)
    {
        if (!IsSupported) throw new PlatformNotSupportedException();
        var k = Vector128.Create(key16);
        _roundKeys[0] = k;
        k = Expand(k, X86Aes.KeygenAssist(k, 0x01)); _roundKeys[1] = k;
        k = Expand(k, X86Aes.KeygenAssist(k, 0x02)); _roundKeys[2] = k;
        k = Expand(k, X86Aes.KeygenAssist(k, 0x04)); _roundKeys[3] = k;
        k = Expand(k, X86Aes.KeygenAssist(k, 0x08)); _roundKeys[4] = k;
        k = Expand(k, X86Aes.KeygenAssist(k, 0x10)); _roundKeys[5] = k;
        k = Expand(k, X86Aes.KeygenAssist(k, 0x20)); _roundKeys[6] = k;
        k = Expand(k, X86Aes.KeygenAssist(k, 0x40)); _roundKeys[7] = k;
        k = Expand(k, X86Aes.KeygenAssist(k, 0x80)); _roundKeys[8] = k;
        k = Expand(k, X86Aes.KeygenAssist(k, 0x1b)); _roundKeys[9] = k;
        k = Expand(k, X86Aes.KeygenAssist(k, 0x36)); _roundKeys[10] = k;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Expand(Vector128<byte> key, Vector128<byte> assist)
    {
        var t = Sse2.Shuffle(assist.AsUInt32(), 0xff).AsByte();
        key = Sse2.Xor(key, Sse2.ShiftLeftLogical128BitLane(key, 4));
        key = Sse2.Xor(key, Sse2.ShiftLeftLogical128BitLane(key, 4));
        key = Sse2.Xor(key, Sse2.ShiftLeftLogical128BitLane(key, 4));
        return Sse2.Xor(key, t);
    }

    /// <summary>mask = AES-ECB(hp_key, sample)[0..5].</summary>
    public void Mask(ReadOnlySpan<byte> sample16, Span<byte> mask5)
    {
        var rk = _roundKeys;
        var b = Sse2.Xor(Vector128.Create(sample16), rk[0]);
        for (int r = 1; r < 10; r++) b = X86Aes.Encrypt(b, rk[r]);
        b = X86Aes.EncryptLast(b, rk[10]);
        Span<byte> block = stackalloc byte[16];
        b.CopyTo(block);
        block[..5].CopyTo(mask5);
    }

    /// <summary>Masks for 4 samples at once (independent blocks pipeline in the AES unit).</summary>
    public void Mask4(ReadOnlySpan<byte> samples64, Span<byte> masks20)
    {
        var rk = _roundKeys;
        var b0 = Sse2.Xor(Vector128.Create(samples64[..16]), rk[0]);
        var b1 = Sse2.Xor(Vector128.Create(samples64.Slice(16, 16)), rk[0]);
        var b2 = Sse2.Xor(Vector128.Create(samples64.Slice(32, 16)), rk[0]);
        var b3 = Sse2.Xor(Vector128.Create(samples64.Slice(48, 16)), rk[0]);
        for (int r = 1; r < 10; r++)
        {
            b0 = X86Aes.Encrypt(b0, rk[r]);
            b1 = X86Aes.Encrypt(b1, rk[r]);
            b2 = X86Aes.Encrypt(b2, rk[r]);
            b3 = X86Aes.Encrypt(b3, rk[r]);
        }
        Span<byte> block = stackalloc byte[64];
        X86Aes.EncryptLast(b0, rk[10]).CopyTo(block);
        X86Aes.EncryptLast(b1, rk[10]).CopyTo(block[16..]);
        X86Aes.EncryptLast(b2, rk[10]).CopyTo(block[32..]);
        X86Aes.EncryptLast(b3, rk[10]).CopyTo(block[48..]);
        for (int i = 0; i < 4; i++) block.Slice(i * 16, 5).CopyTo(masks20.Slice(i * 5, 5));
    }
}
