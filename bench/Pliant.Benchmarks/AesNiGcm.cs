using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Pliant.Benchmarks;

/// <summary>
/// A prototype AES-128-GCM seal (12-byte nonce, 16-byte tag) on AES-NI + PCLMULQDQ, to size the
/// recommendation in bench/README.md: no P/Invoke and no per-call re-initialisation. GHASH is one
/// block at a time (no aggregated reduction), CTR four blocks at a time. Checked against
/// <see cref="System.Security.Cryptography.AesGcm"/> in <see cref="AeadCallBenchmarks"/>'s setup.
/// Not constant-time-reviewed, not for use in the stack as is.
/// </summary>
public sealed class AesNiGcm
{
    private static readonly Vector128<byte> ByteSwap = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    private readonly Vector128<byte>[] _rk = new Vector128<byte>[11];
    private readonly Vector128<byte> _h; // byte-reversed hash key

    public static bool IsSupported => X86Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    public AesNiGcm(ReadOnlySpan<byte> key16)
    {
        if (!IsSupported) throw new PlatformNotSupportedException();
        var k = Vector128.Create(key16);
        _rk[0] = k;
        byte[] rcon = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];
        for (int i = 0; i < 10; i++)
        {
            var assist = rcon[i] switch
            {
                0x01 => X86Aes.KeygenAssist(k, 0x01), 0x02 => X86Aes.KeygenAssist(k, 0x02),
                0x04 => X86Aes.KeygenAssist(k, 0x04), 0x08 => X86Aes.KeygenAssist(k, 0x08),
                0x10 => X86Aes.KeygenAssist(k, 0x10), 0x20 => X86Aes.KeygenAssist(k, 0x20),
                0x40 => X86Aes.KeygenAssist(k, 0x40), 0x80 => X86Aes.KeygenAssist(k, 0x80),
                0x1b => X86Aes.KeygenAssist(k, 0x1b), _ => X86Aes.KeygenAssist(k, 0x36),
            };
            var t = Sse2.Shuffle(assist.AsUInt32(), 0xff).AsByte();
            k = Sse2.Xor(k, Sse2.ShiftLeftLogical128BitLane(k, 4));
            k = Sse2.Xor(k, Sse2.ShiftLeftLogical128BitLane(k, 4));
            k = Sse2.Xor(k, Sse2.ShiftLeftLogical128BitLane(k, 4));
            k = Sse2.Xor(k, t);
            _rk[i + 1] = k;
        }
        _h = Ssse3.Shuffle(EncryptBlock(Vector128<byte>.Zero), ByteSwap);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> EncryptBlock(Vector128<byte> b)
    {
        var rk = _rk;
        b = Sse2.Xor(b, rk[0]);
        for (int r = 1; r < 10; r++) b = X86Aes.Encrypt(b, rk[r]);
        return X86Aes.EncryptLast(b, rk[10]);
    }

    /// <summary>GF(2^128) multiply of byte-reversed operands (Intel's carry-less multiplication white paper, algorithm 5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> GfMul(Vector128<byte> a8, Vector128<byte> b8)
    {
        var a = a8.AsUInt64();
        var b = b8.AsUInt64();
        var tmp3 = Pclmulqdq.CarrylessMultiply(a, b, 0x00).AsUInt32();
        var tmp6 = Pclmulqdq.CarrylessMultiply(a, b, 0x11).AsUInt32();
        var tmp4 = Sse2.Xor(Sse2.Shuffle(a.AsUInt32(), 78), a.AsUInt32());
        var tmp5 = Sse2.Xor(Sse2.Shuffle(b.AsUInt32(), 78), b.AsUInt32());
        tmp4 = Pclmulqdq.CarrylessMultiply(tmp4.AsUInt64(), tmp5.AsUInt64(), 0x00).AsUInt32();
        tmp4 = Sse2.Xor(Sse2.Xor(tmp4, tmp3), tmp6);
        tmp5 = Sse2.ShiftLeftLogical128BitLane(tmp4, 8);
        tmp4 = Sse2.ShiftRightLogical128BitLane(tmp4, 8);
        tmp3 = Sse2.Xor(tmp3, tmp5);
        tmp6 = Sse2.Xor(tmp6, tmp4);
        var tmp7 = Sse2.ShiftRightLogical(tmp3, 31);
        var tmp8 = Sse2.ShiftRightLogical(tmp6, 31);
        tmp3 = Sse2.ShiftLeftLogical(tmp3, 1);
        tmp6 = Sse2.ShiftLeftLogical(tmp6, 1);
        var tmp9 = Sse2.ShiftRightLogical128BitLane(tmp7, 12);
        tmp8 = Sse2.ShiftLeftLogical128BitLane(tmp8, 4);
        tmp7 = Sse2.ShiftLeftLogical128BitLane(tmp7, 4);
        tmp3 = Sse2.Or(tmp3, tmp7);
        tmp6 = Sse2.Or(tmp6, tmp8);
        tmp6 = Sse2.Or(tmp6, tmp9);
        tmp7 = Sse2.ShiftLeftLogical(tmp3, 31);
        tmp8 = Sse2.ShiftLeftLogical(tmp3, 30);
        tmp9 = Sse2.ShiftLeftLogical(tmp3, 25);
        tmp7 = Sse2.Xor(Sse2.Xor(tmp7, tmp8), tmp9);
        tmp8 = Sse2.ShiftRightLogical128BitLane(tmp7, 4);
        tmp7 = Sse2.ShiftLeftLogical128BitLane(tmp7, 12);
        tmp3 = Sse2.Xor(tmp3, tmp7);
        var tmp2 = Sse2.ShiftRightLogical(tmp3, 1);
        tmp4 = Sse2.ShiftRightLogical(tmp3, 2);
        tmp5 = Sse2.ShiftRightLogical(tmp3, 7);
        tmp2 = Sse2.Xor(Sse2.Xor(Sse2.Xor(tmp2, tmp4), tmp5), tmp8);
        tmp3 = Sse2.Xor(tmp3, tmp2);
        tmp6 = Sse2.Xor(tmp6, tmp3);
        return tmp6.AsByte();
    }

    private Vector128<byte> Ghash(Vector128<byte> x, ReadOnlySpan<byte> data)
    {
        Span<byte> last = stackalloc byte[16];
        while (data.Length > 0)
        {
            Vector128<byte> block;
            if (data.Length >= 16)
            {
                block = Vector128.Create(data[..16]);
                data = data[16..];
            }
            else
            {
                last.Clear();
                data.CopyTo(last);
                block = Vector128.Create((ReadOnlySpan<byte>)last);
                data = default;
            }
            x = GfMul(Sse2.Xor(x, Ssse3.Shuffle(block, ByteSwap)), _h);
        }
        return x;
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> and writes the tag.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce12, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag16, ReadOnlySpan<byte> aad)
    {
        Span<byte> j = stackalloc byte[16];
        nonce12.CopyTo(j);
        uint counter = 1;
        BinaryPrimitives.WriteUInt32BigEndian(j[12..], counter);
        var j0 = Vector128.Create((ReadOnlySpan<byte>)j);

        // CTR from inc32(J0), four blocks at a time.
        Span<byte> ks = stackalloc byte[64];
        int pos = 0;
        var rk = _rk;
        while (pos < plaintext.Length)
        {
            BinaryPrimitives.WriteUInt32BigEndian(j[12..], counter + 1);
            var c0 = Vector128.Create((ReadOnlySpan<byte>)j);
            BinaryPrimitives.WriteUInt32BigEndian(j[12..], counter + 2);
            var c1 = Vector128.Create((ReadOnlySpan<byte>)j);
            BinaryPrimitives.WriteUInt32BigEndian(j[12..], counter + 3);
            var c2 = Vector128.Create((ReadOnlySpan<byte>)j);
            BinaryPrimitives.WriteUInt32BigEndian(j[12..], counter + 4);
            var c3 = Vector128.Create((ReadOnlySpan<byte>)j);
            counter += 4;
            c0 = Sse2.Xor(c0, rk[0]); c1 = Sse2.Xor(c1, rk[0]); c2 = Sse2.Xor(c2, rk[0]); c3 = Sse2.Xor(c3, rk[0]);
            for (int r = 1; r < 10; r++)
            {
                c0 = X86Aes.Encrypt(c0, rk[r]); c1 = X86Aes.Encrypt(c1, rk[r]);
                c2 = X86Aes.Encrypt(c2, rk[r]); c3 = X86Aes.Encrypt(c3, rk[r]);
            }
            int n = Math.Min(64, plaintext.Length - pos);
            if (n == 64)
            {
                Sse2.Xor(X86Aes.EncryptLast(c0, rk[10]), Vector128.Create(plaintext.Slice(pos, 16))).CopyTo(ciphertext.Slice(pos, 16));
                Sse2.Xor(X86Aes.EncryptLast(c1, rk[10]), Vector128.Create(plaintext.Slice(pos + 16, 16))).CopyTo(ciphertext.Slice(pos + 16, 16));
                Sse2.Xor(X86Aes.EncryptLast(c2, rk[10]), Vector128.Create(plaintext.Slice(pos + 32, 16))).CopyTo(ciphertext.Slice(pos + 32, 16));
                Sse2.Xor(X86Aes.EncryptLast(c3, rk[10]), Vector128.Create(plaintext.Slice(pos + 48, 16))).CopyTo(ciphertext.Slice(pos + 48, 16));
            }
            else
            {
                X86Aes.EncryptLast(c0, rk[10]).CopyTo(ks);
                X86Aes.EncryptLast(c1, rk[10]).CopyTo(ks[16..]);
                X86Aes.EncryptLast(c2, rk[10]).CopyTo(ks[32..]);
                X86Aes.EncryptLast(c3, rk[10]).CopyTo(ks[48..]);
                for (int i = 0; i < n; i++) ciphertext[pos + i] = (byte)(plaintext[pos + i] ^ ks[i]);
            }
            pos += n;
        }

        var x = Ghash(Vector128<byte>.Zero, aad);
        x = Ghash(x, ciphertext[..plaintext.Length]);
        Span<byte> lengths = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(lengths, (ulong)aad.Length * 8);
        BinaryPrimitives.WriteUInt64BigEndian(lengths[8..], (ulong)plaintext.Length * 8);
        x = GfMul(Sse2.Xor(x, Ssse3.Shuffle(Vector128.Create((ReadOnlySpan<byte>)lengths), ByteSwap)), _h);
        Sse2.Xor(Ssse3.Shuffle(x, ByteSwap), EncryptBlock(j0)).CopyTo(tag16);
    }
}
