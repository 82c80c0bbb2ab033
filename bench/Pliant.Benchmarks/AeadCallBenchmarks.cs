using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;

namespace Pliant.Benchmarks;

/// <summary>
/// The BCL AEADs (OpenSSL underneath on Linux) by payload size: the 16-byte case is the fixed cost
/// per call, the rest shows the per-byte cost. Context for the packet-protection figures.
/// </summary>
[MemoryDiagnoser]
public class AeadCallBenchmarks
{
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _aad = new byte[13];
    private readonly byte[] _tag = new byte[16];
    private byte[] _plain = null!;
    private byte[] _cipher = null!;
    private AesGcm _gcm = null!;
    private ChaCha20Poly1305 _chacha = null!;
    private AesNiGcm _aesni = null!;

    [Params(16, 1452, 14520)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _plain = new byte[Bytes];
        _cipher = new byte[Bytes];
        var key = new byte[32];
        new Random(9).NextBytes(key);
        _gcm = new AesGcm(key.AsSpan(0, 16), 16);
        _chacha = new ChaCha20Poly1305(key);
        _aesni = new AesNiGcm(key.AsSpan(0, 16));
        // Check the prototype against the BCL on this size and on an odd one.
        foreach (int len in new[] { Bytes, Bytes + 7 })
        {
            var p = new byte[len];
            new Random(len).NextBytes(p);
            var c1 = new byte[len];
            var c2 = new byte[len];
            var t1 = new byte[16];
            var t2 = new byte[16];
            _gcm.Encrypt(_nonce, p, c1, t1, _aad);
            _aesni.Encrypt(_nonce, p, c2, t2, _aad);
            if (!c1.AsSpan().SequenceEqual(c2) || !t1.AsSpan().SequenceEqual(t2))
                throw new InvalidOperationException($"AES-NI GCM prototype differs from AesGcm at {len} bytes");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gcm.Dispose();
        _chacha.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void AesGcmEncrypt() => _gcm.Encrypt(_nonce, _plain, _cipher, _tag, _aad);

    /// <summary>The AES-NI + PCLMULQDQ prototype (bench only).</summary>
    [Benchmark]
    public void AesNiGcmEncrypt() => _aesni.Encrypt(_nonce, _plain, _cipher, _tag, _aad);

    [Benchmark]
    public void ChaChaEncrypt() => _chacha.Encrypt(_nonce, _plain, _cipher, _tag, _aad);
}
