using System.Security.Cryptography;
using Pliant.Quic.Crypto;
using static Pliant.Quic.Tests.Crypto.SpecText;

namespace Pliant.Quic.Tests.Crypto;

public class PacketKeysTests
{
    public static TheoryData<CipherSuite, uint> Suites => new()
    {
        { CipherSuite.Aes128GcmSha256, QuicVersion.V1 },
        { CipherSuite.Aes256GcmSha384, QuicVersion.V1 },
        { CipherSuite.ChaCha20Poly1305Sha256, QuicVersion.V1 },
        { CipherSuite.Aes128GcmSha256, QuicVersion.V2 },
        { CipherSuite.Aes256GcmSha384, QuicVersion.V2 },
        { CipherSuite.ChaCha20Poly1305Sha256, QuicVersion.V2 },
    };

    private static byte[] Secret(CipherSuite suite, byte seed)
    {
        var s = new byte[suite.HashLength()];
        for (int i = 0; i < s.Length; i++) s[i] = (byte)(seed + i * 7);
        return s;
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void KeyLengthsFollowTheSuite(CipherSuite suite, uint version)
    {
        using var keys = PacketKeys.Create(suite, Secret(suite, 1), version);
        Assert.Equal(suite.KeyLength(), keys.Key.Length);
        Assert.Equal(suite.KeyLength(), keys.HeaderProtectionKey.Length);
        Assert.Equal(12, keys.Iv.Length);
        Assert.Equal(suite, keys.Suite);
        Assert.Equal(version, keys.Version);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void KeyUpdateUsesKuLabelAndKeepsHeaderProtectionKey(CipherSuite suite, uint version)
    {
        var secret = Secret(suite, 3);
        using var keys = PacketKeys.Create(suite, secret, version);
        using var next = keys.NextGeneration();

        // RFC 9001 §6.1: secret_<n+1> = HKDF-Expand-Label(secret_<n>, "quic ku", "", Hash.length);
        // RFC 9369 §3.3.2: "quicv2 ku" for v2.
        string ku = version == QuicVersion.V2 ? "quicv2 ku" : "quic ku";
        var expectedSecret = HkdfLabel.Expand(suite.Hash(), secret, ku, default, suite.HashLength());
        Assert.Equal(ToHex(expectedSecret), ToHex(next.Secret));
        string keyLabel = version == QuicVersion.V2 ? "quicv2 key" : "quic key";
        string ivLabel = version == QuicVersion.V2 ? "quicv2 iv" : "quic iv";
        Assert.Equal(ToHex(HkdfLabel.Expand(suite.Hash(), expectedSecret, keyLabel, default, suite.KeyLength())), ToHex(next.Key));
        Assert.Equal(ToHex(HkdfLabel.Expand(suite.Hash(), expectedSecret, ivLabel, default, 12)), ToHex(next.Iv));
        Assert.Equal(ToHex(keys.HeaderProtectionKey), ToHex(next.HeaderProtectionKey));
        Assert.NotEqual(ToHex(keys.Key), ToHex(next.Key));

        // Both generations protect headers identically (same hp key).
        var sample = new byte[16];
        sample[3] = 9;
        Span<byte> m1 = stackalloc byte[5], m2 = stackalloc byte[5];
        keys.HeaderProtectionMask(sample, m1);
        next.HeaderProtectionMask(sample, m2);
        Assert.True(m1.SequenceEqual(m2));

        // Two updates chain.
        using var third = next.NextGeneration();
        Assert.Equal(ToHex(HkdfLabel.Expand(suite.Hash(), expectedSecret, ku, default, suite.HashLength())), ToHex(third.Secret));
    }

    [Fact]
    public void KeyUpdateVectorByHand()
    {
        // RFC 9001 §A.5 gives ku for this secret; derive it independently with HkdfLabel and HKDF.Expand.
        var secret = Hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
        // HkdfLabel for "quic ku", length 32: 0020 | 0d "tls13 quic ku" | 00.
        var info = Hex("00200d746c733133207175696320" + "6b75" + "00");
        var byHand = new byte[32];
        HKDF.Expand(HashAlgorithmName.SHA256, secret, byHand, info);
        Assert.Equal("1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9", ToHex(byHand));
        using var keys = PacketKeys.Create(CipherSuite.Aes128GcmSha256, secret, QuicVersion.V1);
        using var next = keys.NextGeneration();
        Assert.Equal(ToHex(byHand), ToHex(next.Secret));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void SealOpenRoundTripInPlace(CipherSuite suite, uint version)
    {
        using var keys = PacketKeys.Create(suite, Secret(suite, 5), version);
        var header = Hex("41aabbccdd0102");
        var plaintext = new byte[300];
        new Random(42).NextBytes(plaintext);

        var buffer = new byte[plaintext.Length + 16];
        plaintext.CopyTo(buffer, 0);
        // In-place seal: ciphertext starts where the plaintext is.
        keys.Seal(0x1234567, header, buffer.AsSpan(0, plaintext.Length), buffer);
        Assert.False(buffer.AsSpan(0, plaintext.Length).SequenceEqual(plaintext));

        var copy = (byte[])buffer.Clone();
        // In-place open: the plaintext region is the ciphertext region.
        Assert.True(keys.TryOpen(0x1234567, header, buffer, buffer));
        Assert.True(buffer.AsSpan(0, plaintext.Length).SequenceEqual(plaintext));

        // Separate buffers give the same result.
        var outBuf = new byte[plaintext.Length];
        Assert.True(keys.TryOpen(0x1234567, header, copy, outBuf));
        Assert.Equal(plaintext, outBuf);

        // Wrong packet number, wrong header, flipped ciphertext or tag bit: rejected.
        Assert.False(keys.TryOpen(0x1234568, header, copy, outBuf));
        Assert.False(keys.TryOpen(0x1234567, Hex("41aabbccdd0103"), copy, outBuf));
        copy[10] ^= 0x80;
        Assert.False(keys.TryOpen(0x1234567, header, copy, outBuf));
        copy[10] ^= 0x80;
        copy[^1] ^= 1;
        Assert.False(keys.TryOpen(0x1234567, header, copy, outBuf));
        Assert.False(keys.TryOpen(0x1234567, header, copy.AsSpan(0, 15), outBuf));
    }

    [Fact]
    public void NonceIsIvXorPacketNumber()
    {
        // RFC 9001 §A.5: pn 654360564 with iv e0459b3474bdd0e44a41c144 gives nonce e0459b3474bdd0e46d417eb0.
        // Check through the AEAD: sealing with the raw key and that nonce must equal Seal(pn).
        var key = Hex("c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8");
        using var keys = PacketKeys.FromKeyMaterial(CipherSuite.ChaCha20Poly1305Sha256, QuicVersion.V1, key,
            Hex("e0459b3474bdd0e44a41c144"), new byte[32]);
        var viaKeys = new byte[17];
        keys.Seal(654360564, Hex("4200bff4"), [0x01], viaKeys);
        using var raw = new ChaCha20Poly1305(key);
        var ct = new byte[1];
        var tag = new byte[16];
        raw.Encrypt(Hex("e0459b3474bdd0e46d417eb0"), new byte[] { 0x01 }, ct, tag, Hex("4200bff4"));
        Assert.Equal(ToHex([.. ct, .. tag]), ToHex(viaKeys));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void NoAllocationPerPacket(CipherSuite suite, uint version)
    {
        using var keys = PacketKeys.Create(suite, Secret(suite, 9), version);
        var packet = new byte[1200];
        var header = new byte[20];
        var mask = new byte[5];
        void Once(ulong pn)
        {
            keys.Seal(pn, header, packet.AsSpan(0, 1000), packet);
            if (!keys.TryOpen(pn, header, packet.AsSpan(0, 1016), packet)) throw new InvalidOperationException();
            keys.HeaderProtectionMask(packet.AsSpan(4, 16), mask);
        }
        AllocationAssert.NoAllocationPerCall(i => Once((ulong)i));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void RekeyInPlaceGivesWhatCreateGives(CipherSuite suite, uint version)
    {
        using var reused = PacketKeys.Create(suite, Secret(suite, 1), version);
        if (!reused.UsesIntrinsics)
        {
            // ChaCha20 and the OpenSSL path keep their key in BCL objects: no in-place rekey, and nothing changes.
            Assert.False(reused.TryRekey(Secret(suite, 2)));
            Assert.Equal(Secret(suite, 1), reused.Secret.ToArray());
            return;
        }
        var header = new byte[20];
        var plain = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        for (byte seed = 2; seed < 8; seed++)
        {
            var secret = Secret(suite, seed);
            Assert.True(reused.TryRekey(secret));
            using var fresh = PacketKeys.Create(suite, secret, version);
            Assert.Equal(fresh.Secret.ToArray(), reused.Secret.ToArray());
            Assert.Equal(fresh.Key.ToArray(), reused.Key.ToArray());
            Assert.Equal(fresh.Iv.ToArray(), reused.Iv.ToArray());
            Assert.Equal(fresh.HeaderProtectionKey.ToArray(), reused.HeaderProtectionKey.ToArray());
            byte[] a = new byte[plain.Length + 16], b = new byte[plain.Length + 16];
            fresh.Seal(seed, header, plain, a);
            reused.Seal(seed, header, plain, b);
            Assert.Equal(a, b);
            byte[] ma = new byte[5], mb = new byte[5];
            fresh.HeaderProtectionMask(a.AsSpan(3, 16), ma);
            reused.HeaderProtectionMask(a.AsSpan(3, 16), mb);
            Assert.Equal(ma, mb);
        }
    }

    [Fact]
    public void RekeyRefusesKeysItCannotApplyToAndChangesNothing()
    {
        var suite = CipherSuite.Aes128GcmSha256;
        using var keys = PacketKeys.Create(suite, Secret(suite, 1), QuicVersion.V1);
        if (!keys.UsesIntrinsics) return; // covered by RekeyInPlaceGivesWhatCreateGives
        Assert.False(keys.TryRekey(new byte[48])); // a secret of another length
        Assert.Equal(Secret(suite, 1), keys.Secret.ToArray());
        using var next = keys.NextGeneration(); // shares its predecessor's header protection key
        Assert.False(next.TryRekey(Secret(suite, 2)));
        Assert.Equal(keys.HeaderProtectionKey.ToArray(), next.HeaderProtectionKey.ToArray());
        using var raw = PacketKeys.FromKeyMaterial(suite, QuicVersion.V1, new byte[16], new byte[12], new byte[16]);
        Assert.False(raw.TryRekey(Secret(suite, 2))); // no secret to re-derive from
        var disposed = PacketKeys.Create(suite, Secret(suite, 3), QuicVersion.V1);
        disposed.Dispose();
        Assert.False(disposed.TryRekey(Secret(suite, 2)));
    }

    [Fact]
    public void RekeyAllocatesNothing()
    {
        var suite = CipherSuite.Aes128GcmSha256;
        using var keys = PacketKeys.Create(suite, Secret(suite, 1), QuicVersion.V1);
        if (!keys.UsesIntrinsics) return;
        byte[][] secrets = [Secret(suite, 4), Secret(suite, 5)];
        AllocationAssert.NoAllocationPerCall(i => keys.TryRekey(secrets[i & 1]));
    }

    [Fact]
    public void WrongSecretLengthIsRejected()
    {
        Assert.Throws<ArgumentException>(() => PacketKeys.Create(CipherSuite.Aes256GcmSha384, new byte[32], QuicVersion.V1));
        Assert.Throws<ArgumentException>(() => PacketKeys.Create(CipherSuite.Aes128GcmSha256, new byte[48], QuicVersion.V1));
    }

    [Fact]
    public void ChaCha20BlockRfc8439Vector()
    {
        // RFC 8439 §2.3.2.
        var key = Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        var nonce = Hex("000000090000004a00000000");
        var block = new byte[64];
        ChaCha20Block.Compute(key, 1, nonce, block);
        Assert.Equal(
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e" +
            "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e", ToHex(block));
    }
}
