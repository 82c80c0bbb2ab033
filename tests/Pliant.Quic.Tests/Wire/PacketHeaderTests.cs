using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Wire;

public class PacketHeaderTests
{
    [Fact]
    public void ParsesRfc9001ClientInitialHeader()
    {
        // RFC 9001 Appendix A.2: unprotected header; Length 0x449e = 1182 (PN + frames + tag).
        byte[] header = Convert.FromHexString("c300000001088394c8f03e5157080000449e00000002");
        byte[] datagram = new byte[18 + 1182];
        header.CopyTo(datagram, 0);
        Assert.True(PacketHeader.TryParse(datagram, 8, out var h));
        Assert.True(h.IsLongHeader);
        Assert.True(h.IsSupportedVersion);
        Assert.Equal(PacketType.Initial, h.Type);
        Assert.Equal(QuicVersion.V1, h.Version);
        Assert.Equal("8394c8f03e515708", h.DestinationConnectionId.ToString());
        Assert.Equal(0, h.SourceConnectionId.Length);
        Assert.Equal(0, h.TokenLength);
        Assert.Equal(18, h.PacketNumberOffset);
        Assert.Equal(1200, h.PacketLength);
        Assert.Equal(2UL, PacketNumber.ReadTruncated(datagram.AsSpan(h.PacketNumberOffset), (header[0] & 3) + 1));
    }

    [Fact]
    public void LengthBeyondDatagramIsRejected()
    {
        byte[] header = Convert.FromHexString("c300000001088394c8f03e5157080000449e00000002");
        byte[] datagram = new byte[18 + 1181];
        header.CopyTo(datagram, 0);
        Assert.False(PacketHeader.TryParse(datagram, 8, out _));
    }

    [Fact]
    public void FixedBitZeroIsRejected()
    {
        byte[] header = Convert.FromHexString("8300000001088394c8f03e5157080000449e00000002");
        byte[] datagram = new byte[1200];
        header.CopyTo(datagram, 0);
        Assert.False(PacketHeader.TryParse(datagram, 8, out _));
        Assert.False(PacketHeader.TryParse(new byte[] { 0x01, 1, 2, 3, 4, 5 }, 4, out _));
    }

    [Theory]
    [InlineData(PacketType.Initial, QuicVersion.V1)]
    [InlineData(PacketType.ZeroRtt, QuicVersion.V1)]
    [InlineData(PacketType.Handshake, QuicVersion.V1)]
    [InlineData(PacketType.Initial, QuicVersion.V2)]
    [InlineData(PacketType.ZeroRtt, QuicVersion.V2)]
    [InlineData(PacketType.Handshake, QuicVersion.V2)]
    public void LongHeaderRoundTrips(PacketType type, uint version)
    {
        var dcid = new ConnectionId([1, 2, 3, 4, 5, 6, 7, 8]);
        var scid = new ConnectionId([9, 10, 11]);
        byte[] token = type == PacketType.Initial ? [0xAA, 0xBB, 0xCC] : [];
        var buf = new byte[200];
        int n = LongHeader.Write(buf, type, version, dcid, scid, token, 3, out int lenOff);
        Assert.Equal(LongHeader.HeaderLength(type, dcid, scid, token.Length), n);
        PacketNumber.Write(buf.AsSpan(n), 0x123456, 3);
        LongHeader.PatchLength(buf, lenOff, 3 + 50);
        Assert.True(PacketHeader.TryParse(buf, 0, out var h));
        Assert.Equal(type, h.Type);
        Assert.Equal(version, h.Version);
        Assert.Equal(dcid, h.DestinationConnectionId);
        Assert.Equal(scid, h.SourceConnectionId);
        Assert.Equal(token.Length, h.TokenLength);
        if (token.Length > 0) Assert.Equal(token, buf.AsSpan(h.TokenOffset, h.TokenLength).ToArray());
        Assert.Equal(n, h.PacketNumberOffset);
        Assert.Equal(n + 53, h.PacketLength);
        Assert.Equal(2, buf[0] & 3);
        Assert.Equal(0, buf[0] & 0x0C);
    }

    [Fact]
    public void V2TypeBitsDiffer()
    {
        // RFC 9369 §3.2.
        Assert.Equal(1, PacketTypes.ToBits(PacketType.Initial, QuicVersion.V2));
        Assert.Equal(2, PacketTypes.ToBits(PacketType.ZeroRtt, QuicVersion.V2));
        Assert.Equal(3, PacketTypes.ToBits(PacketType.Handshake, QuicVersion.V2));
        Assert.Equal(0, PacketTypes.ToBits(PacketType.Retry, QuicVersion.V2));
        Assert.Equal(0, PacketTypes.ToBits(PacketType.Initial, QuicVersion.V1));
        Assert.Equal(3, PacketTypes.ToBits(PacketType.Retry, QuicVersion.V1));
        foreach (var t in new[] { PacketType.Initial, PacketType.ZeroRtt, PacketType.Handshake, PacketType.Retry })
            foreach (var v in new[] { QuicVersion.V1, QuicVersion.V2 })
                Assert.Equal(t, PacketTypes.FromBits(PacketTypes.ToBits(t, v), v));
    }

    [Fact]
    public void ShortHeaderRoundTrips()
    {
        var dcid = new ConnectionId([1, 2, 3, 4, 5, 6, 7, 8]);
        var buf = new byte[64];
        int n = ShortHeader.Write(buf, dcid, spin: true, keyPhase: true, packetNumberLength: 2);
        Assert.Equal(9, n);
        Assert.Equal(0x40 | 0x20 | 0x04 | 0x01, buf[0]);
        Assert.True(PacketHeader.TryParse(buf.AsSpan(0, 30), 8, out var h));
        Assert.False(h.IsLongHeader);
        Assert.Equal(PacketType.OneRtt, h.Type);
        Assert.Equal(dcid, h.DestinationConnectionId);
        Assert.Equal(9, h.PacketNumberOffset);
        Assert.Equal(30, h.PacketLength);
    }

    [Fact]
    public void VersionNegotiationRoundTrips()
    {
        var dcid = new ConnectionId([1, 2, 3]);
        var scid = new ConnectionId([4, 5, 6, 7]);
        var buf = new byte[64];
        int n = VersionNegotiationPacket.Write(buf, dcid.Span, scid.Span, [QuicVersion.V2, QuicVersion.V1], includeGreasedVersion: true);
        Assert.Equal(0x80, buf[0] & 0x80);
        Assert.True(PacketHeader.TryParse(buf.AsSpan(0, n), 0, out var h));
        Assert.Equal(PacketType.VersionNegotiation, h.Type);
        Assert.Equal(0u, h.Version);
        Assert.Equal(dcid, h.DestinationConnectionId);
        Assert.Equal(scid, h.SourceConnectionId);
        Assert.Equal(3, h.SupportedVersionsCount);
        Assert.Equal(QuicVersion.V2, h.GetSupportedVersion(buf, 0));
        Assert.Equal(QuicVersion.V1, h.GetSupportedVersion(buf, 1));
        Assert.True(VersionNegotiationPacket.IsReservedVersion(h.GetSupportedVersion(buf, 2)));
    }

    [Theory]
    [InlineData(QuicVersion.V1)]
    [InlineData(QuicVersion.V2)]
    public void RetryRoundTrips(uint version)
    {
        var dcid = new ConnectionId([1, 2, 3]);
        var scid = new ConnectionId([4, 5, 6, 7, 8]);
        byte[] token = [10, 11, 12, 13, 14];
        var buf = new byte[64];
        int n = RetryPacket.Write(buf, version, dcid, scid, token);
        Assert.Equal(RetryPacket.EncodedLength(dcid, scid, token.Length), n);
        Assert.True(PacketHeader.TryParse(buf.AsSpan(0, n + 16), 0, out var h));
        Assert.Equal(PacketType.Retry, h.Type);
        Assert.Equal(token, buf.AsSpan(h.TokenOffset, h.TokenLength).ToArray());
        Assert.Equal(n, h.RetryIntegrityTagOffset);
        Assert.Equal(n + 16, h.PacketLength);
        Assert.False(PacketHeader.TryParse(buf.AsSpan(0, n - token.Length + 15), 0, out _));
    }

    [Fact]
    public void UnknownVersionExposesLongConnectionIds()
    {
        var buf = new byte[1200];
        buf[0] = 0xC0;
        buf[1] = 0x1A; buf[2] = 0x2A; buf[3] = 0x3A; buf[4] = 0x4A;
        buf[5] = 40; // DCID 40 bytes: fine for unknown versions (RFC 8999)
        buf[6 + 40] = 30;
        Assert.True(PacketHeader.TryParse(buf, 8, out var h));
        Assert.False(h.IsSupportedVersion);
        Assert.Equal(0x1A2A3A4Au, h.Version);
        Assert.Equal(40, h.DestinationConnectionIdLength);
        Assert.Equal(30, h.SourceConnectionIdLength);
        Assert.Equal(47, h.SourceConnectionIdOffset);

        // The same for v1 is not valid.
        buf[1] = 0; buf[2] = 0; buf[3] = 0; buf[4] = 1;
        Assert.False(PacketHeader.TryParse(buf, 8, out _));
    }

    [Fact]
    public void TryParseNeverThrowsOnRandomBytes()
    {
        var rng = new Random(12345);
        var buf = new byte[256];
        byte[] seed = Convert.FromHexString("c300000001088394c8f03e5157080000449e00000002");
        for (int i = 0; i < 50_000; i++)
        {
            int len = rng.Next(0, buf.Length);
            rng.NextBytes(buf);
            if (i % 2 == 0)
            {
                // Mutated Initial headers exercise the deeper paths.
                seed.CopyTo(buf, 0);
                buf[rng.Next(seed.Length)] = (byte)rng.Next(256);
                if (i % 4 == 0) buf[5] = (byte)rng.Next(24);
            }
            var span = buf.AsSpan(0, len);
            if (PacketHeader.TryParse(span, rng.Next(0, 21), out var h))
            {
                Assert.InRange(h.PacketLength, 1, len);
                Assert.InRange(h.PacketNumberOffset, 0, h.PacketLength);
            }
        }
    }

    [Fact]
    public void TryParseNeverThrowsOnMutatedPacketsOfEveryType()
    {
        var dcid = new ConnectionId([1, 2, 3, 4, 5, 6, 7, 8]);
        var scid = new ConnectionId([9, 10, 11]);
        var seeds = new List<byte[]>();
        foreach (uint v in new[] { QuicVersion.V1, QuicVersion.V2 })
        {
            foreach (var t in new[] { PacketType.Initial, PacketType.ZeroRtt, PacketType.Handshake })
            {
                var b = new byte[120];
                int n = LongHeader.Write(b, t, v, dcid, scid, t == PacketType.Initial ? [1, 2, 3] : [], 2, out int lo);
                LongHeader.PatchLength(b, lo, b.Length - n);
                seeds.Add(b);
            }
            var r = new byte[80];
            int rn = RetryPacket.Write(r, v, dcid, scid, [7, 7, 7, 7]);
            seeds.Add(r.AsSpan(0, rn + 16).ToArray());
        }
        var vn = new byte[64];
        seeds.Add(vn.AsSpan(0, VersionNegotiationPacket.Write(vn, dcid, scid, [QuicVersion.V1, QuicVersion.V2])).ToArray());
        var sh = new byte[40];
        ShortHeader.Write(sh, dcid, false, true, 4);
        seeds.Add(sh);

        var rng = new Random(777);
        foreach (var seed in seeds)
        {
            Assert.True(PacketHeader.TryParse(seed, 8, out _));
            var work = new byte[seed.Length];
            for (int i = 0; i < 5000; i++)
            {
                seed.CopyTo(work, 0);
                int len = seed.Length;
                for (int m = rng.Next(1, 4); m > 0 && len > 0; m--)
                {
                    switch (rng.Next(3))
                    {
                        case 0: work[rng.Next(len)] = (byte)rng.Next(256); break;
                        case 1: work[rng.Next(len)] ^= (byte)(1 << rng.Next(8)); break;
                        default: len = rng.Next(len + 1); break;
                    }
                }
                if (PacketHeader.TryParse(work.AsSpan(0, len), 8, out var h))
                {
                    Assert.InRange(h.PacketLength, 1, len);
                    Assert.InRange(h.TokenOffset + h.TokenLength, 0, len);
                    if (h.Type == PacketType.VersionNegotiation)
                        Assert.InRange(h.SupportedVersionsOffset + 4 * h.SupportedVersionsCount, 0, len);
                }
            }
        }
    }
}
