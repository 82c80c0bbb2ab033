using Pliant.Quic;
using Pliant.Quic.Connection;
using Pliant.Quic.Wire;
using Pliant.Router.QuicLb;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.QuicLb;

/// <summary>QUIC-LB connection IDs made by <see cref="QuicLbConnectionIdGenerator"/> and issued by a Pliant endpoint.</summary>
public sealed class GeneratorTests
{
    private static readonly byte[] Key = Convert.FromHexString("8f95f09245765f80256934e50c66207f");

    public static TheoryData<int, int, bool> Shapes => new()
    {
        { 1, 4, false }, { 3, 4, true }, { 2, 6, true }, { 8, 8, true }, { 10, 5, true }, { 9, 9, true }, { 15, 4, true }, { 1, 18, true }, { 4, 15, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryIdDecodesToTheServerIdAndNoneRepeats(int sidLength, int nonceLength, bool keyed)
    {
        var config = new QuicLbConfiguration(3, sidLength, nonceLength, keyed ? Key : default);
        var sid = new byte[sidLength];
        new Random(sidLength * 100 + nonceLength).NextBytes(sid);
        var generator = new QuicLbConnectionIdGenerator(config, sid, RandomSource.Seeded(new Random(7)));
        var codec = new QuicLbCodec(config);
        var seen = new HashSet<ConnectionId>();
        var decoded = new byte[sidLength];
        for (int i = 0; i < 2000; i++)
        {
            var cid = generator.Generate();
            Assert.Equal(config.ConnectionIdLength, cid.Length);
            Assert.True(seen.Add(cid), "a connection ID repeated");
            // §3.1: the config rotation bits; §3.3: the length of the rest of the ID.
            Assert.Equal(3, cid.Span[0] >> 5);
            Assert.Equal(config.ConnectionIdLength - 1, cid.Span[0] & 0x1f);
            Assert.True(codec.TryDecodeServerId(cid.Span, decoded));
            Assert.Equal(sid, decoded);
        }
        Assert.Equal(2000, generator.Issued);
        Assert.Equal(0, generator.UnroutableIssued);
    }

    [Fact]
    public void WithoutLengthEncodingTheFirstOctetsLowBitsAreRandom()
    {
        var config = new QuicLbConfiguration(1, 2, 6, Key, encodeLength: false);
        var generator = new QuicLbConnectionIdGenerator(config, [0xab, 0xcd], RandomSource.Seeded(new Random(3)));
        var lowBits = new HashSet<int>();
        for (int i = 0; i < 500; i++)
        {
            var cid = generator.Generate();
            Assert.Equal(1, cid.Span[0] >> 5);
            lowBits.Add(cid.Span[0] & 0x1f);
        }
        Assert.True(lowBits.Count > 20, $"only {lowBits.Count} distinct low-bit patterns");
    }

    [Fact]
    public void KeyedNoncesCountFromARandomStartAndPlaintextNoncesAreRandom()
    {
        var keyed = new QuicLbConfiguration(0, 3, 4, Key);
        var codec = new QuicLbCodec(keyed);
        var g = new QuicLbConnectionIdGenerator(keyed, [1, 2, 3], RandomSource.Seeded(new Random(11)));
        var sid = new byte[3];
        var nonce = new byte[4];
        uint? previous = null;
        for (int i = 0; i < 10; i++)
        {
            Assert.True(codec.TryDecode(g.Generate().Span, sid, nonce));
            uint n = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(nonce);
            if (previous is { } p) Assert.Equal(unchecked(p + 1), n);
            previous = n;
        }

        var plain = new QuicLbConfiguration(0, 3, 4);
        var pg = new QuicLbConnectionIdGenerator(plain, [1, 2, 3], RandomSource.Seeded(new Random(11)));
        var a = pg.Generate();
        var b = pg.Generate();
        Assert.Equal(a.Span[1..4].ToArray(), b.Span[1..4].ToArray()); // same server ID in the clear
        Assert.NotEqual(a.Span[4..].ToArray(), b.Span[4..].ToArray());
    }

    [Fact]
    public void AnExhaustedNonceSpaceGivesUnroutableIds()
    {
        // §9.4: a server that used up its nonces switches to the unroutable codepoint 0b111 (§3.2: length self-encoded).
        var config = new QuicLbConfiguration(0, 3, 5, Key);
        var g = new QuicLbConnectionIdGenerator(config, [1, 2, 3], RandomSource.Seeded(new Random(4)), counterSpace: 16);
        var codec = new QuicLbCodec(config);
        var nonces = new HashSet<string>();
        var sid = new byte[3];
        var nonce = new byte[5];
        for (int i = 0; i < 16; i++)
        {
            Assert.True(codec.TryDecode(g.Generate().Span, sid, nonce));
            Assert.True(nonces.Add(Convert.ToHexString(nonce)));
        }
        var unroutable = g.Generate();
        Assert.Equal(QuicLbConfiguration.UnroutableConfigId, QuicLbConfiguration.ConfigIdOf(unroutable.Span));
        Assert.Equal(config.ConnectionIdLength - 1, unroutable.Span[0] & 0x1f);
        Assert.False(codec.TryDecodeServerId(unroutable.Span, sid));
        Assert.Equal(1, g.UnroutableIssued);
    }

    [Fact]
    public void RandomRoundTripsAcrossEveryLegalShape()
    {
        var rng = new Random(42);
        for (int sidLength = 1; sidLength <= 15; sidLength++)
        {
            for (int nonceLength = 4; sidLength + nonceLength <= 19; nonceLength++)
            {
                foreach (bool keyed in new[] { false, true })
                {
                    var key = new byte[16];
                    rng.NextBytes(key);
                    var config = new QuicLbConfiguration(rng.Next(7), sidLength, nonceLength, keyed ? key : default);
                    var codec = new QuicLbCodec(config);
                    for (int i = 0; i < 20; i++)
                    {
                        var sid = new byte[sidLength];
                        var nonce = new byte[nonceLength];
                        rng.NextBytes(sid);
                        rng.NextBytes(nonce);
                        var cid = new byte[config.ConnectionIdLength];
                        codec.Encode(sid, nonce, codec.FirstOctet((byte)rng.Next(256)), cid);
                        var sid2 = new byte[sidLength];
                        var nonce2 = new byte[nonceLength];
                        Assert.True(codec.TryDecode(cid, sid2, nonce2));
                        Assert.Equal(sid, sid2);
                        Assert.Equal(nonce, nonce2);
                        // Every prefix of the server ID decodes alone (a load balancer reading a host prefix, §7.1).
                        for (int prefix = 1; prefix <= sidLength; prefix++)
                        {
                            var p = new byte[prefix];
                            Assert.True(codec.TryDecodeServerId(cid, p));
                            Assert.Equal(sid.AsSpan(0, prefix).ToArray(), p);
                        }
                        // Encrypted: the ID does not show server ID and nonce (equal by chance with odds 2^-40 at most).
                        if (keyed) Assert.NotEqual(sid.Concat(nonce).ToArray(), cid.AsSpan(1).ToArray());
                    }
                }
            }
        }
    }

    [Fact]
    public void ALoadBalancerWithAShorterServerIdReadsTheHostPrefix()
    {
        // The server's configuration: 4-byte server ID (host prefix 2 bytes + generation + driver), 6-byte nonce.
        // The load balancer's: 2-byte server ID, 8-byte nonce — the same total, so the same ciphertext.
        var server = new QuicLbConfiguration(0, 4, 6, Key);
        var balancer = new QuicLbConfiguration(0, 2, 8, Key);
        var sid = ServerIdLayout.Compose([0x0a, 0x01], 4, generation: 3, driverIndex: 1);
        Assert.Equal(new byte[] { 0x0a, 0x01, 3, 1 }, sid);
        var g = new QuicLbConnectionIdGenerator(server, sid, RandomSource.Seeded(new Random(5)));
        var lb = new QuicLbCodec(balancer);
        var host = new byte[2];
        for (int i = 0; i < 100; i++)
        {
            Assert.True(lb.TryDecodeServerId(g.Generate().Span, host));
            Assert.Equal(new byte[] { 0x0a, 0x01 }, host);
        }
        Assert.Equal((3, 1), ServerIdLayout.Decompose(sid, 2));
        Assert.Throws<ArgumentException>(() => ServerIdLayout.Compose([1, 2, 3], 4, generation: 1));
        Assert.Throws<ArgumentException>(() => ServerIdLayout.Compose([1, 2, 3, 4], 4, driverIndex: 1));
    }

    [Fact]
    public void TheBclFallbackAgreesWithAesNi()
    {
        var rng = new Random(9);
        var key = new byte[16];
        rng.NextBytes(key);
        var fast = new QuicLbBlockCipher(key);
        var slow = new QuicLbBlockCipher(key, useIntrinsics: false);
        var block = new byte[16];
        var a = new byte[16];
        var b = new byte[16];
        for (int i = 0; i < 200; i++)
        {
            rng.NextBytes(block);
            fast.Encrypt(block, a);
            slow.Encrypt(block, b);
            Assert.Equal(a, b);
            fast.Decrypt(block, a);
            slow.Decrypt(block, b);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void BadConfigurationsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new QuicLbConfiguration(7, 3, 4));
        Assert.Throws<ArgumentException>(() => new QuicLbConfiguration(0, 0, 4));
        Assert.Throws<ArgumentException>(() => new QuicLbConfiguration(0, 3, 3));
        Assert.Throws<ArgumentException>(() => new QuicLbConfiguration(0, 10, 10));
        Assert.Throws<ArgumentException>(() => new QuicLbConfiguration(0, 3, 4, new byte[15]));
        Assert.Throws<ArgumentException>(() => new QuicLbConnectionIdGenerator(new QuicLbConfiguration(0, 3, 4), [1, 2]));
        // The endpoint refuses a generator whose IDs do not have its connection ID length.
        var g = new QuicLbConnectionIdGenerator(new QuicLbConfiguration(0, 3, 5), [1, 2, 3]);
        Assert.Throws<ArgumentException>(() => new QuicEndpointCore(new QuicEndpointOptions { ConnectionIdGenerator = g, ConnectionIdLength = 8 }));
    }
}
