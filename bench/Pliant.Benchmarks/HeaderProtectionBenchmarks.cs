using BenchmarkDotNet.Attributes;
using Pliant.Quic;
using Pliant.Quic.Crypto;
using Pliant.Quic.Crypto.Intrinsics;

namespace Pliant.Benchmarks;

/// <summary>
/// AES-128 header-protection mask (RFC 9001 §5.4.3): <see cref="PacketKeys.HeaderProtectionMask"/> on the
/// OpenSSL fallback (<c>ICryptoTransform</c>) and on the AES-NI path, and <see cref="AesHeaderProtection"/> alone.
/// </summary>
[MemoryDiagnoser]
public class HeaderProtectionBenchmarks
{
    private readonly byte[] _sample = new byte[16];
    private readonly byte[] _mask = new byte[5];
    private PacketKeys _openSsl = null!;
    private PacketKeys _intrinsics = null!;
    private AesHeaderProtection _hp = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(5).NextBytes(_sample);
        var key = new byte[16];
        var hpKey = new byte[16];
        new Random(6).NextBytes(key);
        new Random(7).NextBytes(hpKey);
        _openSsl = PacketKeys.FromKeyMaterial(CipherSuite.Aes128GcmSha256, QuicVersion.V1, key, new byte[12], hpKey, useIntrinsics: false);
        _intrinsics = PacketKeys.FromKeyMaterial(CipherSuite.Aes128GcmSha256, QuicVersion.V1, key, new byte[12], hpKey, useIntrinsics: true);
        if (!_intrinsics.UsesIntrinsics) throw new PlatformNotSupportedException("no AES-NI here");
        _hp = new AesHeaderProtection(hpKey);
        var a = new byte[5];
        var b = new byte[5];
        _openSsl.HeaderProtectionMask(_sample, a);
        _intrinsics.HeaderProtectionMask(_sample, b);
        if (!a.AsSpan().SequenceEqual(b)) throw new InvalidOperationException("the two mask paths differ");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _openSsl.Dispose();
        _intrinsics.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void PacketKeysOpenSsl() => _openSsl.HeaderProtectionMask(_sample, _mask);

    [Benchmark]
    public void PacketKeysIntrinsics() => _intrinsics.HeaderProtectionMask(_sample, _mask);

    [Benchmark]
    public void AesHeaderProtectionMask() => _hp.Mask(_sample, _mask);
}
