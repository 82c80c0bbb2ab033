using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Pliant.Quic.Crypto.Intrinsics;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Pliant.Router.QuicLb;

/// <summary>
/// AES-128-ECB on single 16-byte blocks, the only primitive QUIC-LB uses (draft-ietf-quic-load-balancers-21
/// §5.4: "Encryption below uses the AES-128-ECB cipher"). With AES-NI the key is expanded once (encryption
/// schedule from <see cref="AesKeySchedule"/>, decryption schedule by InvMixColumns, FIPS 197 §5.3.5) and a
/// block costs ~10 instructions, allocation-free and thread-safe; without AES-NI the BCL's <see cref="Aes"/>
/// does it under a lock.
/// </summary>
internal sealed class QuicLbBlockCipher
{
    private const int Rounds = 10;

    private readonly Vector128<byte>[]? _encrypt;
    private readonly Vector128<byte>[]? _decrypt;
    private readonly Aes? _fallback;
    private readonly Lock _fallbackLock = new();

    /// <summary>Expands <paramref name="key16"/> (16 bytes).</summary>
    public QuicLbBlockCipher(ReadOnlySpan<byte> key16)
        : this(key16, useIntrinsics: true)
    {
    }

    /// <summary>Test seam: <paramref name="useIntrinsics"/> false forces the BCL path.</summary>
    internal QuicLbBlockCipher(ReadOnlySpan<byte> key16, bool useIntrinsics)
    {
        if (key16.Length != 16) throw new ArgumentException("QUIC-LB keys are 16 bytes (AES-128)", nameof(key16));
        if (useIntrinsics && AesKeySchedule.IsSupported)
        {
            _encrypt = new Vector128<byte>[AesKeySchedule.MaxRoundKeys];
            AesKeySchedule.Expand(key16, _encrypt);
            // The equivalent inverse cipher (FIPS 197 §5.3.5): round keys in reverse order, the middle ones through InvMixColumns.
            _decrypt = new Vector128<byte>[Rounds + 1];
            _decrypt[0] = _encrypt[Rounds];
            for (int r = 1; r < Rounds; r++) _decrypt[r] = X86Aes.InverseMixColumns(_encrypt[Rounds - r]);
            _decrypt[Rounds] = _encrypt[0];
        }
        else
        {
            _fallback = Aes.Create();
            _fallback.Key = key16.ToArray();
        }
    }

    /// <summary>Encrypts one block: <paramref name="output"/> = AES-ECB(key, <paramref name="input"/>). The spans may be the same.</summary>
    public void Encrypt(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length < 16 || output.Length < 16) throw new ArgumentException("AES blocks are 16 bytes");
        if (_encrypt is not null)
        {
            var block = AesKeySchedule.EncryptBlock(Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(input)),
                ref MemoryMarshal.GetArrayDataReference(_encrypt), Rounds);
            block.StoreUnsafe(ref MemoryMarshal.GetReference(output));
            return;
        }
        lock (_fallbackLock) _fallback!.EncryptEcb(input[..16], output[..16], PaddingMode.None);
    }

    /// <summary>Decrypts one block (the inverse of <see cref="Encrypt"/>). The spans may be the same.</summary>
    public void Decrypt(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length < 16 || output.Length < 16) throw new ArgumentException("AES blocks are 16 bytes");
        if (_decrypt is not null)
        {
            var block = DecryptBlock(Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(input)), _decrypt);
            block.StoreUnsafe(ref MemoryMarshal.GetReference(output));
            return;
        }
        lock (_fallbackLock) _fallback!.DecryptEcb(input[..16], output[..16], PaddingMode.None);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> DecryptBlock(Vector128<byte> block, Vector128<byte>[] dk)
    {
        block ^= dk[0];
        for (int r = 1; r < Rounds; r++) block = X86Aes.Decrypt(block, dk[r]);
        return X86Aes.DecryptLast(block, dk[Rounds]);
    }
}
