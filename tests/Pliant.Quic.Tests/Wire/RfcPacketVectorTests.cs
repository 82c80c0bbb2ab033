using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Wire;

public class RfcPacketVectorTests
{
    [Fact]
    public void ParsesRfc9369V2ClientInitialHeader()
    {
        // RFC 9369 Appendix A.1: same header as RFC 9001 A.2 but v2 (Initial type bits 0b01).
        byte[] header = Convert.FromHexString("d36b3343cf088394c8f03e5157080000449e00000002");
        byte[] datagram = new byte[18 + 1182];
        header.CopyTo(datagram, 0);
        Assert.True(PacketHeader.TryParse(datagram, 8, out var h));
        Assert.Equal(PacketType.Initial, h.Type);
        Assert.Equal(QuicVersion.V2, h.Version);
        Assert.Equal("8394c8f03e515708", h.DestinationConnectionId.ToString());
        Assert.Equal(18, h.PacketNumberOffset);
        Assert.Equal(1200, h.PacketLength);
    }

    [Theory]
    // RFC 9001 Appendix A.4 (v1) and RFC 9369 Appendix A.4 (v2) Retry packets.
    [InlineData("ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba", QuicVersion.V1)]
    [InlineData("cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6", QuicVersion.V2)]
    public void ParsesRfcRetryPackets(string hex, uint version)
    {
        byte[] packet = Convert.FromHexString(hex);
        Assert.True(PacketHeader.TryParse(packet, 0, out var h));
        Assert.Equal(PacketType.Retry, h.Type);
        Assert.Equal(version, h.Version);
        Assert.Equal(0, h.DestinationConnectionId.Length);
        Assert.Equal("f067a5502a4262b5", h.SourceConnectionId.ToString());
        Assert.Equal("token"u8.ToArray(), packet.AsSpan(h.TokenOffset, h.TokenLength).ToArray());
        Assert.Equal(packet.Length - 16, h.RetryIntegrityTagOffset);

        // Our writer reproduces the bytes before the tag (up to the 4 unused bits, which we set to 0).
        var buf = new byte[64];
        int n = RetryPacket.Write(buf, version, ConnectionId.Empty, h.SourceConnectionId, "token"u8);
        Assert.Equal(packet.Length - 16, n);
        Assert.Equal(packet[0] & 0xF0, buf[0]);
        Assert.True(buf.AsSpan(1, n - 1).SequenceEqual(packet.AsSpan(1, n - 1)));
    }

    [Fact]
    public void CoalescedPacketsAreWalkedByPacketLength()
    {
        var dcid = new ConnectionId([1, 2, 3, 4]);
        var scid = new ConnectionId([5, 6]);
        var buf = new byte[300];
        int p = 0;
        int n = LongHeader.Write(buf, PacketType.Initial, QuicVersion.V1, dcid, scid, [], 1, out int lenOff);
        LongHeader.PatchLength(buf, lenOff, 1 + 40);
        p = n + 41;
        n = LongHeader.Write(buf.AsSpan(p), PacketType.Handshake, QuicVersion.V1, dcid, scid, [], 2, out lenOff);
        LongHeader.PatchLength(buf.AsSpan(p), lenOff, 2 + 30);
        p += n + 32;
        n = ShortHeader.Write(buf.AsSpan(p), dcid, false, false, 1);
        p += n + 20;

        var span = buf.AsSpan(0, p);
        var types = new List<PacketType>();
        while (!span.IsEmpty)
        {
            Assert.True(PacketHeader.TryParse(span, dcid.Length, out var h));
            types.Add(h.Type);
            span = span[h.PacketLength..];
        }
        Assert.Equal([PacketType.Initial, PacketType.Handshake, PacketType.OneRtt], types);
    }
}
