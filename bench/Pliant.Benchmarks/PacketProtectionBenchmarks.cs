using BenchmarkDotNet.Attributes;
using Pliant.Quic;
using Pliant.Quic.Crypto;

namespace Pliant.Benchmarks;

/// <summary>Protect and unprotect one 1-RTT packet of <see cref="Size"/> bytes (short header, 8-byte DCID, 4-byte PN).</summary>
[MemoryDiagnoser]
public class PacketProtectionBenchmarks
{
    private const int PnOffset = 1 + 8;
    private const int PnLength = 4;
    private PacketKeys _keys = null!;
    private byte[] _plain = null!;
    private byte[] _protected = null!;
    private byte[] _work = null!;
    private ulong _pn;

    [Params(CipherSuite.Aes128GcmSha256, CipherSuite.ChaCha20Poly1305Sha256)]
    public CipherSuite Suite { get; set; }

    [Params(1200, 1452)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var secret = new byte[Suite.HashLength()];
        new Random(1).NextBytes(secret);
        _keys = PacketKeys.Create(Suite, secret, QuicVersion.V1);
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
