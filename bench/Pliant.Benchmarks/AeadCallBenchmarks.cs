using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Pliant.Quic.Crypto.Intrinsics;

namespace Pliant.Benchmarks;

/// <summary>
/// AES-128-GCM by payload size: the BCL's <see cref="AesGcm"/> (OpenSSL underneath on Linux) against the
/// stack's AES-NI/PCLMULQDQ <see cref="AesGcmIntrinsics"/>, seal and open; ChaCha20-Poly1305 for context.
/// The 16-byte case is the fixed cost per call, the rest shows the per-byte cost.
/// </summary>
[MemoryDiagnoser]
public class AeadCallBenchmarks
{
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _aad = new byte[13];
    private readonly byte[] _tag = new byte[16];
    private byte[] _plain = null!;
    private byte[] _cipher = null!;
    private byte[] _sealed = null!;
    private byte[] _sealedTag = null!;
    private AesGcm _gcm = null!;
    private ChaCha20Poly1305 _chacha = null!;
    private AesGcmIntrinsics _intrinsics = null!;

    [Params(16, 1200, 1452, 14520)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _plain = new byte[Bytes];
        _cipher = new byte[Bytes];
        _sealed = new byte[Bytes];
        _sealedTag = new byte[16];
        var key = new byte[32];
        new Random(9).NextBytes(key);
        new Random(10).NextBytes(_plain);
        _gcm = new AesGcm(key.AsSpan(0, 16), 16);
        _chacha = new ChaCha20Poly1305(key);
        _intrinsics = new AesGcmIntrinsics(key.AsSpan(0, 16));
        _gcm.Encrypt(_nonce, _plain, _sealed, _sealedTag, _aad);
        // Both implementations must agree (the tests check this thoroughly; this guards the benchmark itself).
        var t = new byte[16];
        _intrinsics.Seal(_nonce, _plain, _cipher, t, _aad);
        if (!_cipher.AsSpan().SequenceEqual(_sealed) || !t.AsSpan().SequenceEqual(_sealedTag))
            throw new InvalidOperationException($"AesGcmIntrinsics differs from AesGcm at {Bytes} bytes");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gcm.Dispose();
        _chacha.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void OpenSslSeal() => _gcm.Encrypt(_nonce, _plain, _cipher, _tag, _aad);

    [Benchmark]
    public void IntrinsicsSeal() => _intrinsics.Seal(_nonce, _plain, _cipher, _tag, _aad);

    [Benchmark]
    public void OpenSslOpen() => _gcm.Decrypt(_nonce, _sealed, _sealedTag, _cipher, _aad);

    [Benchmark]
    public bool IntrinsicsOpen() => _intrinsics.Open(_nonce, _sealed, _sealedTag, _cipher, _aad);

    [Benchmark]
    public void ChaChaSeal() => _chacha.Encrypt(_nonce, _plain, _cipher, _tag, _aad);
}
