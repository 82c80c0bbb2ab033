using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Pliant.Quic.Crypto.Intrinsics;

/// <summary>
/// The AES header-protection mask of RFC 9001 §5.4.3 on AES-NI: mask = AES-ECB(hp_key, sample), of which
/// the first 5 bytes are used. The key (16 bytes for AES-128, 32 for AES-256) is expanded once.
/// </summary>
internal sealed class AesHeaderProtection
{
    private readonly Vector128<byte>[] _roundKeys = new Vector128<byte>[AesKeySchedule.MaxRoundKeys];
    private int _rounds;

    /// <summary>True when AES-NI is available.</summary>
    public static bool IsSupported => AesKeySchedule.IsSupported;

    /// <summary>Expands the header protection key.</summary>
    public AesHeaderProtection(ReadOnlySpan<byte> hpKey) => Rekey(hpKey);

    /// <summary>Expands <paramref name="hpKey"/> in place, replacing the key (no allocation). Must not race <see cref="Mask"/>.</summary>
    internal void Rekey(ReadOnlySpan<byte> hpKey) => _rounds = AesKeySchedule.Expand(hpKey, _roundKeys);

    /// <summary>Writes the first 5 bytes of AES-ECB(hp_key, <paramref name="sample16"/>) to <paramref name="mask5"/>.</summary>
    public void Mask(ReadOnlySpan<byte> sample16, Span<byte> mask5)
    {
        if (sample16.Length < 16) throw new ArgumentException("the sample is 16 bytes", nameof(sample16));
        if (mask5.Length < 5) throw new ArgumentException("the mask is 5 bytes", nameof(mask5));
        var block = AesKeySchedule.EncryptBlock(Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(sample16)),
            ref MemoryMarshal.GetArrayDataReference(_roundKeys), _rounds);
        // RFC 9001 §5.4.1: only mask[0] (first byte) and mask[1..4] (packet number) are used.
        ulong first8 = block.AsUInt64().ToScalar();
        ref byte m = ref MemoryMarshal.GetReference(mask5);
        Unsafe.WriteUnaligned(ref m, (uint)first8);
        Unsafe.Add(ref m, 4) = (byte)(first8 >> 32);
    }

    /// <summary>Zeroes the expanded key (the instance is unusable afterwards).</summary>
    public void Clear() => CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_roundKeys.AsSpan()));
}
