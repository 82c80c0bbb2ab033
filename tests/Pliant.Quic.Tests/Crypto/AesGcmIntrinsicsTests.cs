using System.Security.Cryptography;
using Pliant.Quic.Crypto;
using Pliant.Quic.Crypto.Intrinsics;
using static Pliant.Quic.Tests.Crypto.SpecText;

namespace Pliant.Quic.Tests.Crypto;

/// <summary>
/// The AES-NI/PCLMULQDQ AES-GCM and header-protection mask: Wycheproof vectors, a seeded differential test
/// against the BCL's <see cref="System.Security.Cryptography.AesGcm"/> (OpenSSL), tampering, and agreement of
/// <see cref="PacketKeys"/>' two paths. On a CPU without AES-NI the tests only check that the fallback is chosen.
/// </summary>
public class AesGcmIntrinsicsTests
{
    private static bool Supported => AesGcmIntrinsics.IsSupported;

    [Fact]
    public void PacketKeysUsesTheIntrinsicPathWhenSupported()
    {
        using var keys = PacketKeys.FromKeyMaterial(CipherSuite.Aes128GcmSha256, QuicVersion.V1, new byte[16], new byte[12], new byte[16]);
        Assert.Equal(PacketKeys.IntrinsicsByDefault, keys.UsesIntrinsics);
        using var forced = PacketKeys.FromKeyMaterial(CipherSuite.Aes128GcmSha256, QuicVersion.V1, new byte[16], new byte[12], new byte[16], useIntrinsics: false);
        Assert.False(forced.UsesIntrinsics);
        using var chacha = PacketKeys.FromKeyMaterial(CipherSuite.ChaCha20Poly1305Sha256, QuicVersion.V1, new byte[32], new byte[12], new byte[32], useIntrinsics: true);
        Assert.False(chacha.UsesIntrinsics);
        if (Supported && Environment.GetEnvironmentVariable("PLIANT_CRYPTO") is null) Assert.True(keys.UsesIntrinsics);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Wycheproof(bool wide)
    {
        if (!Supported) return;
        var cases = WycheproofAeadTests.Load("aes_gcm_test.json");
        int valid = 0, invalid = 0;
        foreach (var c in cases)
        {
            var key = Hex(c.Key);
            var gcm = new AesGcmIntrinsics(key, wide);
            var iv = Hex(c.Iv);
            var aad = Hex(c.Aad);
            var msg = Hex(c.Msg);
            var ct = Hex(c.Ct);
            var tag = Hex(c.Tag);
            var plain = new byte[ct.Length];
            Array.Fill(plain, (byte)0xA5);
            bool opened = gcm.Open(iv, ct, tag, plain, aad);
            if (c.Result == "invalid")
            {
                Assert.False(opened, $"tc{c.TcId} opened an invalid case");
                Assert.All(plain, b => Assert.Equal(0, b));
                invalid++;
                continue;
            }
            Assert.True(opened, $"tc{c.TcId} failed to open");
            Assert.Equal(c.Msg, ToHex(plain));
            var sealedCt = new byte[msg.Length];
            var sealedTag = new byte[16];
            gcm.Seal(iv, msg, sealedCt, sealedTag, aad);
            Assert.Equal(c.Ct, ToHex(sealedCt));
            Assert.Equal(c.Tag, ToHex(sealedTag));
            valid++;
        }
        Assert.True(valid > 50 && invalid > 20, $"valid {valid} invalid {invalid}");
    }

    /// <summary>Plaintext lengths: every one of 0..600, then a spread up to 9000 (around 16-byte and 128-byte steps).</summary>
    private static IEnumerable<int> Lengths()
    {
        for (int n = 0; n <= 600; n++) yield return n;
        foreach (int n in new[] { 1023, 1024, 1025, 1199, 1200, 1201, 1350, 1452, 1500, 2047, 2048, 4095, 4096, 4097, 8191, 8192, 8193, 9000 })
            yield return n;
        var rng = new Random(77);
        for (int i = 0; i < 40; i++) yield return rng.Next(601, 9001);
    }

    /// <summary>
    /// <paramref name="wide"/>: the one-pass 256-bit VPCLMULQDQ path (where the CPU has it) or the two-pass
    /// 128-bit PCLMULQDQ path that other AES-NI CPUs take.
    /// </summary>
    [Theory]
    [InlineData(16, true)]
    [InlineData(32, true)]
    [InlineData(16, false)]
    [InlineData(32, false)]
    public void MatchesBclAesGcm(int keyLength, bool wide)
    {
        if (!Supported) return;
        var rng = new Random(1000 + keyLength);
        var key = new byte[keyLength];
        rng.NextBytes(key);
        var gcm = new AesGcmIntrinsics(key, wide);
        using var reference = new AesGcm(key, 16);
        var nonce = new byte[12];
        int i = 0;
        foreach (int length in Lengths())
        {
            // AAD lengths cycle through 0..100 as the plaintext length moves.
            int aadLength = (i++ * 37) % 101;
            rng.NextBytes(nonce);
            Check(gcm, reference, rng, nonce, length, aadLength);
        }
        // Every AAD length with a few plaintext lengths (empty, partial block, one group and a bit).
        foreach (int length in new[] { 0, 5, 16, 130 })
            for (int aadLength = 0; aadLength <= 100; aadLength++)
            {
                rng.NextBytes(nonce);
                Check(gcm, reference, rng, nonce, length, aadLength);
            }
    }

    private static void Check(AesGcmIntrinsics gcm, AesGcm reference, Random rng, byte[] nonce, int length, int aadLength)
    {
        var plain = new byte[length];
        rng.NextBytes(plain);
        var aad = new byte[aadLength];
        rng.NextBytes(aad);
        var expectedCt = new byte[length];
        var expectedTag = new byte[16];
        reference.Encrypt(nonce, plain, expectedCt, expectedTag, aad);

        // Seal out of place.
        var ct = new byte[length];
        var tag = new byte[16];
        gcm.Seal(nonce, plain, ct, tag, aad);
        Assert.True(expectedCt.AsSpan().SequenceEqual(ct), $"ciphertext differs at {length}/{aadLength}");
        Assert.True(expectedTag.AsSpan().SequenceEqual(tag), $"tag differs at {length}/{aadLength}");

        // Seal in place.
        var buffer = (byte[])plain.Clone();
        gcm.Seal(nonce, buffer, buffer, tag, aad);
        Assert.True(expectedCt.AsSpan().SequenceEqual(buffer), $"in-place ciphertext differs at {length}/{aadLength}");
        Assert.True(expectedTag.AsSpan().SequenceEqual(tag), $"in-place tag differs at {length}/{aadLength}");

        // Open out of place, then in place (the BCL's ciphertext and tag).
        var opened = new byte[length];
        Assert.True(gcm.Open(nonce, expectedCt, expectedTag, opened, aad), $"open failed at {length}/{aadLength}");
        Assert.True(plain.AsSpan().SequenceEqual(opened), $"open differs at {length}/{aadLength}");
        Assert.True(gcm.Open(nonce, buffer, expectedTag, buffer, aad), $"in-place open failed at {length}/{aadLength}");
        Assert.True(plain.AsSpan().SequenceEqual(buffer), $"in-place open differs at {length}/{aadLength}");
    }

    [Theory]
    [InlineData(16, 0, true)]
    [InlineData(16, 1, true)]
    [InlineData(16, 100, true)]
    [InlineData(16, 1200, true)]
    [InlineData(32, 1, true)]
    [InlineData(32, 1452, true)]
    [InlineData(16, 1200, false)]
    [InlineData(32, 300, false)]
    public void TamperingFailsAndZeroesThePlaintext(int keyLength, int length, bool wide)
    {
        if (!Supported) return;
        var rng = new Random(length * 31 + keyLength);
        var key = new byte[keyLength];
        rng.NextBytes(key);
        var gcm = new AesGcmIntrinsics(key, wide);
        var nonce = new byte[12];
        rng.NextBytes(nonce);
        var plain = new byte[length];
        rng.NextBytes(plain);
        var aad = new byte[21];
        rng.NextBytes(aad);
        var ct = new byte[length];
        var tag = new byte[16];
        gcm.Seal(nonce, plain, ct, tag, aad);

        void ExpectFailure(byte[] c, byte[] t, byte[] a, byte[] n, string what)
        {
            var output = new byte[length];
            Array.Fill(output, (byte)0x5A);
            Assert.False(gcm.Open(n, c, t, output, a), $"{what}: opened");
            Assert.True(output.AsSpan().IndexOfAnyExcept((byte)0) < 0, $"{what}: plaintext not zeroed");
            var inPlace = (byte[])c.Clone();
            Assert.False(gcm.Open(n, inPlace, t, inPlace, a), $"{what}: opened in place");
            Assert.True(inPlace.AsSpan().IndexOfAnyExcept((byte)0) < 0, $"{what}: in-place plaintext not zeroed");
        }

        for (int bit = 0; bit < 128; bit += 9)
        {
            var t = (byte[])tag.Clone();
            t[bit / 8] ^= (byte)(1 << (bit % 8));
            ExpectFailure(ct, t, aad, nonce, $"tag bit {bit}");
        }
        if (length > 0)
        {
            foreach (int pos in new[] { 0, length / 2, length - 1 })
            {
                var c = (byte[])ct.Clone();
                c[pos] ^= 0x80;
                ExpectFailure(c, tag, aad, nonce, $"ciphertext byte {pos}");
            }
        }
        foreach (int pos in new[] { 0, 10, 20 })
        {
            var a = (byte[])aad.Clone();
            a[pos] ^= 0x01;
            ExpectFailure(ct, tag, a, nonce, $"aad byte {pos}");
        }
        ExpectFailure(ct, tag, aad[..20], nonce, "aad truncated");
        var otherNonce = (byte[])nonce.Clone();
        otherNonce[11] ^= 1;
        ExpectFailure(ct, tag, aad, otherNonce, "nonce");

        var ok = new byte[length];
        Assert.True(gcm.Open(nonce, ct, tag, ok, aad));
        Assert.True(plain.AsSpan().SequenceEqual(ok));
    }

    [Fact]
    public void PartiallyOverlappingBuffersAreRejected()
    {
        if (!Supported) return;
        var gcm = new AesGcmIntrinsics(new byte[16]);
        var buffer = new byte[100];
        var tag = new byte[16];
        Assert.Throws<ArgumentException>(() => gcm.Seal(new byte[12], buffer.AsSpan(0, 50), buffer.AsSpan(1, 50), tag, default));
        Assert.Throws<ArgumentException>(() => gcm.Open(new byte[12], buffer.AsSpan(1, 50), tag, buffer.AsSpan(0, 50), default));
    }

    [Theory]
    [InlineData(CipherSuite.Aes128GcmSha256)]
    [InlineData(CipherSuite.Aes256GcmSha384)]
    public void HeaderProtectionMaskMatchesOpenSsl(CipherSuite suite)
    {
        if (!Supported) return;
        var rng = new Random((int)suite);
        for (int k = 0; k < 8; k++)
        {
            var key = new byte[suite.KeyLength()];
            var hp = new byte[suite.KeyLength()];
            var iv = new byte[12];
            rng.NextBytes(key);
            rng.NextBytes(hp);
            rng.NextBytes(iv);
            using var fast = PacketKeys.FromKeyMaterial(suite, QuicVersion.V1, key, iv, hp, useIntrinsics: true);
            using var slow = PacketKeys.FromKeyMaterial(suite, QuicVersion.V1, key, iv, hp, useIntrinsics: false);
            Assert.True(fast.UsesIntrinsics);
            var sample = new byte[16];
            var a = new byte[5];
            var b = new byte[5];
            for (int i = 0; i < 200; i++)
            {
                rng.NextBytes(sample);
                fast.HeaderProtectionMask(sample, a);
                slow.HeaderProtectionMask(sample, b);
                Assert.Equal(ToHex(b), ToHex(a));
            }
        }
    }

    [Theory]
    [InlineData(CipherSuite.Aes128GcmSha256)]
    [InlineData(CipherSuite.Aes256GcmSha384)]
    public void PacketKeysPathsInteroperate(CipherSuite suite)
    {
        if (!Supported) return;
        var rng = new Random(3 + (int)suite);
        var secret = new byte[suite.HashLength()];
        rng.NextBytes(secret);
        using var derived = PacketKeys.Create(suite, secret, QuicVersion.V1);
        using var fast = PacketKeys.FromKeyMaterial(suite, QuicVersion.V1, derived.Key, derived.Iv, derived.HeaderProtectionKey, useIntrinsics: true);
        using var slow = PacketKeys.FromKeyMaterial(suite, QuicVersion.V1, derived.Key, derived.Iv, derived.HeaderProtectionKey, useIntrinsics: false);
        foreach (int length in new[] { 1, 20, 200, 1200, 1452 })
        {
            ulong pn = (ulong)rng.NextInt64(0, 1L << 40);
            var header = new byte[rng.Next(10, 60)];
            rng.NextBytes(header);
            var plain = new byte[length];
            rng.NextBytes(plain);
            var a = new byte[length + 16];
            var b = new byte[length + 16];
            fast.Seal(pn, header, plain, a);
            slow.Seal(pn, header, plain, b);
            Assert.Equal(ToHex(b), ToHex(a));
            var back = new byte[length];
            Assert.True(fast.TryOpen(pn, header, b, back));
            Assert.True(plain.AsSpan().SequenceEqual(back));
            Assert.True(slow.TryOpen(pn, header, a, back));
            Assert.True(plain.AsSpan().SequenceEqual(back));
            Assert.False(fast.TryOpen(pn + 1, header, a, back));
        }
    }

    [Fact]
    public void SealOpenAndMaskDoNotAllocate()
    {
        if (!Supported) return;
        using var keys = PacketKeys.FromKeyMaterial(CipherSuite.Aes128GcmSha256, QuicVersion.V1, new byte[16], new byte[12], new byte[16], useIntrinsics: true);
        var header = new byte[20];
        var packet = new byte[1200 + 16];
        var mask = new byte[5];
        AllocationAssert.NoAllocationPerCall(i =>
        {
            keys.Seal((ulong)i, header, packet.AsSpan(0, 1200), packet);
            Assert.True(keys.TryOpen((ulong)i, header, packet, packet));
            keys.HeaderProtectionMask(packet.AsSpan(0, 16), mask);
        }, warmup: 200, iterations: 2000);
    }
}
