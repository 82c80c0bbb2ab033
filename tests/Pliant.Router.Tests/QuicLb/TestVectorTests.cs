using Pliant.Router.QuicLb;

namespace Pliant.Router.Tests.QuicLb;

/// <summary>
/// draft-ietf-quic-load-balancers-21 appendix B ("Load Balancer Test Vectors") and the worked example of
/// §5.4.2: every vector encoded from (server ID, nonce) and decoded back, in both directions.
/// </summary>
public sealed class TestVectorTests
{
    private static readonly byte[] VectorKey = Convert.FromHexString("8f95f09245765f80256934e50c66207f");

    private static byte[] Encode(QuicLbConfiguration c, string sid, string nonce, byte firstOctet)
    {
        var codec = new QuicLbCodec(c);
        var cid = new byte[c.ConnectionIdLength];
        codec.Encode(Convert.FromHexString(sid), Convert.FromHexString(nonce), firstOctet, cid);
        return cid;
    }

    private static void AssertRoundTrip(QuicLbConfiguration c, string sid, string nonce, string expectedCid)
    {
        var expected = Convert.FromHexString(expectedCid);
        Assert.Equal(expectedCid, Convert.ToHexString(Encode(c, sid, nonce, expected[0])).ToLowerInvariant());
        var codec = new QuicLbCodec(c);
        var serverId = new byte[c.ServerIdLength];
        var n = new byte[c.NonceLength];
        Assert.True(codec.TryDecode(expected, serverId, n));
        Assert.Equal(sid, Convert.ToHexString(serverId).ToLowerInvariant());
        Assert.Equal(nonce, Convert.ToHexString(n).ToLowerInvariant());
        // What a load balancer does: only the server ID (three or four passes).
        var onlySid = new byte[c.ServerIdLength];
        Assert.True(codec.TryDecodeServerId(expected, onlySid));
        Assert.Equal(sid, Convert.ToHexString(onlySid).ToLowerInvariant());
    }

    [Fact]
    public void UnencryptedVector()
    {
        // "0 c4605e 4504cc4f 07c4605e4504cc4f": the first octet is config 0, length 7.
        AssertRoundTrip(new QuicLbConfiguration(0, 3, 4), "c4605e", "4504cc4f", "07c4605e4504cc4f");
    }

    [Fact]
    public void UnencryptedVectorWithFiveByteFields()
    {
        // The draft prints "1 350d28b420 3487d970b 20a350d28b4203487d970b": a 9-digit nonce and a 21-byte... (odd
        // number of hex digits, so garbled in the text). Read with the 5-byte nonce 03487d970b, the ID is
        // config 1 | length 10 = 0x2a, then server ID and nonce in the clear.
        AssertRoundTrip(new QuicLbConfiguration(1, 5, 5), "350d28b420", "03487d970b", "2a350d28b42003487d970b");
    }

    [Fact]
    public void FourPassOddLengthVector()
    {
        // "0 ed793a ee080dbf 0720b1d07b359d3c": 7 bytes, three passes suffice to read the 3-byte server ID.
        AssertRoundTrip(new QuicLbConfiguration(0, 3, 4, VectorKey), "ed793a", "ee080dbf", "0720b1d07b359d3c");
    }

    [Fact]
    public void FourPassServerIdLongerThanNonceVector()
    {
        // "1 ed793a51d49b8f5fab65 ee080dbf48 2fcc381bc74cb4fbad2823a3d1f8fed2": the server ID (10) exceeds the
        // left half (8): a fourth decryption pass is needed.
        AssertRoundTrip(new QuicLbConfiguration(1, 10, 5, VectorKey), "ed793a51d49b8f5fab65", "ee080dbf48", "2fcc381bc74cb4fbad2823a3d1f8fed2");
    }

    [Fact]
    public void SinglePassVector()
    {
        // "2 ed793a51d49b8f5f ee080dbf48c0d1e5 504dd2d05a7b0de9b2b9907afb5ecf8cc3": 8 + 8 = 16, one AES block.
        var c = new QuicLbConfiguration(2, 8, 8, VectorKey);
        Assert.Equal(QuicLbAlgorithm.SinglePass, c.Algorithm);
        AssertRoundTrip(c, "ed793a51d49b8f5f", "ee080dbf48c0d1e5", "504dd2d05a7b0de9b2b9907afb5ecf8cc3");
    }

    [Fact]
    public void FourPassEvenLengthVector()
    {
        // "3 ed793a51d49b8f5fab ee080dbf48c0d1e55d 125779c9cc86beb3a3a4a3ca96fce4bfe0cdbc": the printed first
        // octet 0x12 is config 0 (not 3), length 18; the ciphertext does not depend on the first octet, so the
        // vector is checked with the bits it prints.
        AssertRoundTrip(new QuicLbConfiguration(0, 9, 9, VectorKey), "ed793a51d49b8f5fab", "ee080dbf48c0d1e55d", "125779c9cc86beb3a3a4a3ca96fce4bfe0cdbc");
    }

    [Fact]
    public void WorkedEncryptionExampleOfSection542()
    {
        // §5.4.2 "Encryption Example": server_id 31441a, nonce 9c69c275, key fdf726a9..., cid 0767947d29be054a.
        var c = new QuicLbConfiguration(0, 3, 4, Convert.FromHexString("fdf726a9893ec05c0632d3956680baf0"));
        AssertRoundTrip(c, "31441a", "9c69c275", "0767947d29be054a");
    }

    [Fact]
    public void AesBlockMatchesTheExampleIntermediateValues()
    {
        // §5.4.2 step 3: AES_ECB(key, 31441a90000000000000000000000701) = a255dd8cdacf01948d3a848c3c7fee23.
        var cipher = new QuicLbBlockCipher(Convert.FromHexString("fdf726a9893ec05c0632d3956680baf0"));
        var block = Convert.FromHexString("31441a90000000000000000000000701");
        var output = new byte[16];
        cipher.Encrypt(block, output);
        Assert.Equal("a255dd8cdacf01948d3a848c3c7fee23", Convert.ToHexString(output).ToLowerInvariant());
        var back = new byte[16];
        cipher.Decrypt(output, back);
        Assert.Equal(block, back);
    }
}
