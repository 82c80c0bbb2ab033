using System.Security.Cryptography;
using Pliant.Quic.Crypto;

namespace Pliant.Quic.Tests.Crypto;

/// <summary>The AEAD nonce with a path ID (draft-ietf-quic-multipath-21 §2.4).</summary>
public class MultipathNonceTests
{
    // draft-ietf-quic-multipath-21 §2.4, Figure "Example Nonce Calculation".
    private static readonly byte[] DraftIv = Convert.FromHexString("6b26114b9cba2b63a9e8dd4f");

    [Fact]
    public void DraftExampleNonce()
    {
        Span<byte> nonce = stackalloc byte[12];
        PacketNonce.BuildMultipath(DraftIv, 3, 54321, nonce);
        Assert.Equal("6b2611489cba2b63a9e8097e", Convert.ToHexStringLower(nonce));
    }

    [Fact]
    public void PathAndPacketNumberLayout()
    {
        // With a zero IV the nonce is the PPN itself: path ID (32) | 0b00 | packet number (62), big-endian.
        Span<byte> nonce = stackalloc byte[12];
        PacketNonce.BuildMultipath(new byte[12], 0xA1B2C3D4, PacketNonce.MaxPacketNumber, nonce);
        Assert.Equal("a1b2c3d43fffffffffffffff", Convert.ToHexStringLower(nonce));
        PacketNonce.BuildMultipath(new byte[12], uint.MaxValue, 0, nonce);
        Assert.Equal("ffffffff0000000000000000", Convert.ToHexStringLower(nonce));
    }

    [Fact]
    public void LongerIvIsLeftPaddedPpn()
    {
        // §2.4: an IV longer than 96 bits gets the PPN left-padded with zeros.
        byte[] iv = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10");
        Span<byte> nonce = stackalloc byte[16];
        PacketNonce.BuildMultipath(iv, 0x01000000, 0x0100, nonce);
        Assert.Equal("01020304" + "04060708" + "090a0b0c0d0e0e10", Convert.ToHexStringLower(nonce));
    }

    [Fact]
    public void PathIdZeroIsTheRfc9001Nonce()
    {
        var rng = new Random(2126);
        Span<byte> single = stackalloc byte[12], multi = stackalloc byte[12];
        byte[] iv = new byte[12];
        for (int i = 0; i < 1000; i++)
        {
            rng.NextBytes(iv);
            ulong pn = (ulong)rng.NextInt64() & PacketNonce.MaxPacketNumber;
            PacketNonce.Build(iv, pn, single);
            PacketNonce.BuildMultipath(iv, 0, pn, multi);
            Assert.True(single.SequenceEqual(multi));
        }
    }

    public static TheoryData<CipherSuite, bool> Suites => new()
    {
        { CipherSuite.Aes128GcmSha256, true },
        { CipherSuite.Aes128GcmSha256, false },
        { CipherSuite.Aes256GcmSha384, true },
        { CipherSuite.ChaCha20Poly1305Sha256, false },
    };

    private static PacketKeys Keys(CipherSuite suite, bool intrinsics, byte[] iv)
    {
        var key = new byte[suite.KeyLength()];
        for (int i = 0; i < key.Length; i++) key[i] = (byte)(3 * i + 1);
        return PacketKeys.FromKeyMaterial(suite, QuicVersion.V1, key, iv, key, intrinsics);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void PacketKeysWithPathZeroSealExactlyAsToday(CipherSuite suite, bool intrinsics)
    {
        using var keys = Keys(suite, intrinsics, DraftIv);
        byte[] header = [0x41, 0x01, 0x02, 0x03, 0x04];
        var plain = new byte[200];
        new Random(7).NextBytes(plain);
        var today = new byte[plain.Length + PacketKeys.TagLength];
        var withPath = new byte[today.Length];
        foreach (ulong pn in new ulong[] { 0, 1, 54321, 1UL << 40, PacketNonce.MaxPacketNumber })
        {
            keys.Seal(pn, header, plain, today);
            keys.Seal(0, pn, header, plain, withPath);
            Assert.Equal(today, withPath);
            var back = new byte[plain.Length];
            Assert.True(keys.TryOpen(0, pn, header, today, back));
            Assert.Equal(plain, back);
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void NonZeroPathSealsWithTheDraftNonce(CipherSuite suite, bool intrinsics)
    {
        using var keys = Keys(suite, intrinsics, DraftIv);
        var key = new byte[suite.KeyLength()];
        for (int i = 0; i < key.Length; i++) key[i] = (byte)(3 * i + 1);
        byte[] header = [0x41, 0x09];
        byte[] plain = "multipath"u8.ToArray();
        var sealedByKeys = new byte[plain.Length + 16];
        keys.Seal(3, 54321, header, plain, sealedByKeys);

        // The same AEAD with the nonce computed by hand from the draft's example (§2.4).
        byte[] nonce = Convert.FromHexString("6b2611489cba2b63a9e8097e");
        var expected = new byte[plain.Length + 16];
        if (suite == CipherSuite.ChaCha20Poly1305Sha256)
        {
            using var c = new ChaCha20Poly1305(key);
            c.Encrypt(nonce, plain, expected.AsSpan(0, plain.Length), expected.AsSpan(plain.Length), header);
        }
        else
        {
            using var g = new AesGcm(key, 16);
            g.Encrypt(nonce, plain, expected.AsSpan(0, plain.Length), expected.AsSpan(plain.Length), header);
        }
        Assert.Equal(expected, sealedByKeys);

        var back = new byte[plain.Length];
        Assert.True(keys.TryOpen(3, 54321, header, sealedByKeys, back));
        Assert.Equal(plain, back);
        // Another path, or the single-path nonce, does not open it.
        Assert.False(keys.TryOpen(2, 54321, header, sealedByKeys, back));
        Assert.False(keys.TryOpen(54321, header, sealedByKeys, back));
    }

    [Fact]
    public void RejectsShortIvsMismatchedNoncesAndOversizedPacketNumbers()
    {
        var nonce8 = new byte[8];
        Assert.Throws<ArgumentException>(() => PacketNonce.BuildMultipath(new byte[8], 1, 1, nonce8));
        Assert.Throws<ArgumentException>(() => PacketNonce.BuildMultipath(new byte[12], 1, 1, new byte[16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PacketNonce.BuildMultipath(new byte[12], 1, 1UL << 62, new byte[12]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PacketNonce.Build(new byte[12], 1UL << 62, new byte[12]));
    }

    [Fact]
    public void BuildingTheNonceAndSealingOnAPathDoNotAllocate()
    {
        byte[] iv = DraftIv;
        var nonce = new byte[12];
        AllocationAssert.NoAllocationPerCall(i => PacketNonce.BuildMultipath(iv, (uint)i, (ulong)i, nonce));
        using var keys = Keys(CipherSuite.Aes128GcmSha256, true, DraftIv);
        byte[] header = [0x40, 1, 2, 3];
        var packet = new byte[1200 + PacketKeys.TagLength];
        AllocationAssert.NoAllocationPerCall(i =>
        {
            keys.Seal(7, (ulong)i, header, packet.AsSpan(0, 1200), packet);
            Assert.True(keys.TryOpen(7, (ulong)i, header, packet, packet));
        }, warmup: 50, iterations: 2000);
    }
}
