using BenchmarkDotNet.Attributes;
using Pliant.Quic;
using Pliant.Quic.Crypto;

namespace Pliant.Benchmarks;

/// <summary>
/// Protect and unprotect one 1-RTT packet of <see cref="Size"/> bytes (short header, 8-byte DCID, 4-byte PN):
/// AES-128-GCM on the AES-NI path and on the OpenSSL fallback (<c>PLIANT_CRYPTO=openssl</c>), and ChaCha20-Poly1305.
/// </summary>
[MemoryDiagnoser]
public class PacketProtectionBenchmarks
{
    /// <summary>The keys under test.</summary>
    public enum KeyKind
    {
        /// <summary>AES-128-GCM, AES-NI + PCLMULQDQ.</summary>
        Aes128Intrinsics,

        /// <summary>AES-128-GCM through the BCL (OpenSSL).</summary>
        Aes128OpenSsl,

        /// <summary>ChaCha20-Poly1305 through the BCL (OpenSSL).</summary>
        ChaCha20,
    }

    private const int PnOffset = 1 + 8;
    private const int PnLength = 4;
    private PacketKeys _keys = null!;
    private byte[] _plain = null!;
    private byte[] _protected = null!;
    private byte[] _work = null!;
    private ulong _pn;

    [Params(KeyKind.Aes128Intrinsics, KeyKind.Aes128OpenSsl, KeyKind.ChaCha20)]
    public KeyKind Keys { get; set; }

    [Params(1200, 1452)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var suite = Keys == KeyKind.ChaCha20 ? CipherSuite.ChaCha20Poly1305Sha256 : CipherSuite.Aes128GcmSha256;
        var secret = new byte[suite.HashLength()];
        new Random(1).NextBytes(secret);
        using (var derived = PacketKeys.Create(suite, secret, QuicVersion.V1))
        {
            _keys = PacketKeys.FromKeyMaterial(suite, QuicVersion.V1, derived.Key, derived.Iv, derived.HeaderProtectionKey,
                useIntrinsics: Keys == KeyKind.Aes128Intrinsics);
        }
        if (_keys.UsesIntrinsics != (Keys == KeyKind.Aes128Intrinsics)) throw new PlatformNotSupportedException("no AES-NI here");
        _plain = new byte[Size];
        new Random(2).NextBytes(_plain);
        _plain[0] = 0x40 | (PnLength - 1); // short header, fixed bit, 4-byte PN
        _plain[PnOffset] = 0;
        _plain[PnOffset + 1] = 0;
        _plain[PnOffset + 2] = 0x12;
        _plain[PnOffset + 3] = 0x34;
        _protected = (byte[])_plain.Clone();
        PacketProtector.Protect(_protected, PnOffset, PnLength, 0x1234, _keys);
        _work = new byte[Size];
        _pn = 0x1234;
    }

    [GlobalCleanup]
    public void Cleanup() => _keys.Dispose();

    /// <summary>AEAD seal + header protection (includes copying the plaintext template in).</summary>
    [Benchmark]
    public void Protect()
    {
        _plain.CopyTo(_work, 0);
        PacketProtector.Protect(_work, PnOffset, PnLength, _pn, _keys);
    }

    /// <summary>Header protection removal + AEAD open (includes copying the protected template in).</summary>
    [Benchmark]
    public bool Unprotect()
    {
        _protected.CopyTo(_work, 0);
        if (!PacketProtector.TryRemoveHeaderProtection(_work, PnOffset, _keys, out int pnLength, out ulong truncated)) return false;
        return PacketProtector.TryDecrypt(_work, PnOffset, pnLength, truncated, _keys, out _);
    }

    /// <summary>Header protection mask alone (one AES-ECB block or ChaCha20 block).</summary>
    [Benchmark]
    public void HeaderProtectionMask()
    {
        Span<byte> mask = stackalloc byte[PacketKeys.MaskLength];
        _keys.HeaderProtectionMask(_protected.AsSpan(PnOffset + 4, PacketKeys.SampleLength), mask);
    }
}
