using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Pliant.Quic;
using Pliant.Quic.Crypto;

namespace Pliant.Benchmarks;

/// <summary>
/// AES header-protection mask: the stack's <see cref="PacketKeys.HeaderProtectionMask"/> (OpenSSL
/// through <c>ICryptoTransform</c>) against the AES-NI prototype, per packet and 4 at a time.
/// </summary>
[MemoryDiagnoser]
public class HeaderProtectionBenchmarks
{
    private readonly byte[] _samples = new byte[64];
    private readonly byte[] _masks = new byte[20];
    private readonly byte[] _hpKey = new byte[16];
    private PacketKeys _keys = null!;
    private AesNiHeaderProtection _aesni = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(5).NextBytes(_samples);
        var secret = new byte[32];
        new Random(6).NextBytes(secret);
        _keys = PacketKeys.Create(CipherSuite.Aes128GcmSha256, secret, QuicVersion.V1);
        new Random(7).NextBytes(_hpKey);
        _aesni = new AesNiHeaderProtection(_hpKey);
        // Check the prototype against the BCL.
        using var aes = Aes.Create();
        aes.Key = _hpKey;
        var expected = aes.EncryptEcb(_samples.AsSpan(0, 16), PaddingMode.None);
        var got = new byte[5];
        _aesni.Mask(_samples.AsSpan(0, 16), got);
        if (!got.AsSpan().SequenceEqual(expected.AsSpan(0, 5))) throw new InvalidOperationException("AES-NI prototype is wrong");
    }

    [GlobalCleanup]
    public void Cleanup() => _keys.Dispose();

    [Benchmark(Baseline = true)]
    public void PacketKeysMask() => _keys.HeaderProtectionMask(_samples.AsSpan(0, 16), _masks);

    [Benchmark]
    public void AesNiMask() => _aesni.Mask(_samples.AsSpan(0, 16), _masks);

    /// <summary>Per packet, 4 masks per call (divide by 4).</summary>
    [Benchmark(OperationsPerInvoke = 4)]
    public void AesNiMaskBatch4() => _aesni.Mask4(_samples, _masks);
}
