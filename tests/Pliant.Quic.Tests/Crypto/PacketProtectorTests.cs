using Pliant.Quic.Crypto;
using static Pliant.Quic.Tests.Crypto.SpecText;

namespace Pliant.Quic.Tests.Crypto;

public class PacketProtectorTests
{
    private static readonly byte[] Dcid = Hex("8394c8f03e515708");

    private static byte[] ShortHeaderPacket(int payloadLength, byte pnLengthBits = 1)
    {
        // Short header: 0b01 spin=0 reserved=00 key phase=1 pn length bits; 8-byte DCID; PN.
        int pnLength = pnLengthBits + 1;
        var packet = new byte[1 + 8 + pnLength + payloadLength + 16];
        packet[0] = (byte)(0x40 | 0x04 | pnLengthBits);
        Dcid.CopyTo(packet, 1);
        for (int i = 0; i < pnLength; i++) packet[9 + i] = (byte)(0x10 + i);
        for (int i = 0; i < payloadLength; i++) packet[9 + pnLength + i] = (byte)i;
        return packet;
    }

    [Theory]
    [InlineData(CipherSuite.Aes128GcmSha256)]
    [InlineData(CipherSuite.Aes256GcmSha384)]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256)]
    public void ShortHeaderRoundTripAndTamper(CipherSuite suite)
    {
        using var keys = PacketKeys.Create(suite, new byte[suite.HashLength()], QuicVersion.V1);
        var original = ShortHeaderPacket(40);
        var packet = (byte[])original.Clone();
        PacketProtector.Protect(packet, 9, 2, 0x1011, keys);
        // The fixed bit and header form are never masked (RFC 9001 §5.4.1).
        Assert.Equal(original[0] & 0xe0, packet[0] & 0xe0);
        Assert.True(original.AsSpan(1, 8).SequenceEqual(packet.AsSpan(1, 8)));

        var copy = (byte[])packet.Clone();
        Assert.True(PacketProtector.TryRemoveHeaderProtection(packet, 9, keys, out int pnLength, out ulong pn));
        Assert.Equal(2, pnLength);
        Assert.Equal(0x1011UL, pn);
        Assert.Equal(original[0], packet[0]);
        Assert.True(PacketProtector.TryDecrypt(packet, 9, pnLength, pn, keys, out int payloadLength));
        Assert.Equal(40, payloadLength);
        Assert.True(original.AsSpan(0, 11 + 40).SequenceEqual(packet.AsSpan(0, 11 + 40)));

        // Tampered ciphertext → TryDecrypt false.
        for (int position = 20; position < copy.Length; position += 13)
        {
            var tampered = (byte[])copy.Clone();
            tampered[position] ^= 0x01;
            if (PacketProtector.TryRemoveHeaderProtection(tampered, 9, keys, out int l, out ulong p))
                Assert.False(PacketProtector.TryDecrypt(tampered, 9, l, 0x1000 | p, keys, out _));
        }

        // Tampered DCID (associated data) → false.
        var badHeader = (byte[])copy.Clone();
        badHeader[3] ^= 0x20;
        Assert.True(PacketProtector.TryRemoveHeaderProtection(badHeader, 9, keys, out int l2, out ulong p2));
        Assert.False(PacketProtector.TryDecrypt(badHeader, 9, l2, p2, keys, out _));

        // Wrong keys → false.
        using var other = PacketKeys.Create(suite, Enumerable.Repeat((byte)1, suite.HashLength()).ToArray(), QuicVersion.V1);
        var withOther = (byte[])copy.Clone();
        Assert.True(PacketProtector.TryRemoveHeaderProtection(withOther, 9, keys, out int l3, out ulong p3));
        Assert.False(PacketProtector.TryDecrypt(withOther, 9, l3, p3, other, out _));
    }

    [Fact]
    public void KeyPhaseBitIsProtectedInShortHeaders()
    {
        using var keys = PacketKeys.Create(CipherSuite.Aes128GcmSha256, new byte[32], QuicVersion.V1);
        // With many packet numbers, the masked first byte must vary in bit 0x04 (key phase) at least once,
        // and in a long header never outside the low 4 bits.
        bool keyPhaseChanged = false;
        for (ulong pn = 0; pn < 64; pn++)
        {
            var packet = ShortHeaderPacket(30, 0);
            packet[9] = (byte)pn;
            byte before = packet[0];
            PacketProtector.Protect(packet, 9, 1, pn, keys);
            Assert.Equal(before & 0xe0, packet[0] & 0xe0);
            keyPhaseChanged |= ((before ^ packet[0]) & 0x04) != 0;
        }
        Assert.True(keyPhaseChanged);
    }

    [Fact]
    public void LongHeaderMasksOnlyLowFourBits()
    {
        InitialSecrets.CreateKeys(QuicVersion.V1, Dcid, isServer: false, out var send, out var unused1);
        InitialSecrets.CreateKeys(QuicVersion.V1, Dcid, isServer: true, out var unused2, out var receive);
        using (send)
        using (receive)
        using (unused1)
        using (unused2)
        {
            for (ulong pn = 0; pn < 64; pn++)
            {
                var packet = new byte[60];
                Hex("c000000001088394c8f03e5157080000402a").CopyTo(packet, 0);
                packet[18] = (byte)pn;
                PacketProtector.Protect(packet, 18, 1, pn, send);
                Assert.Equal(0xc0, packet[0] & 0xf0);
                Assert.True(PacketProtector.TryRemoveHeaderProtection(packet, 18, receive, out int len, out ulong t));
                Assert.Equal(1, len);
                Assert.Equal(pn, t);
                Assert.Equal(0xc0, packet[0]);
            }
        }
    }

    [Fact]
    public void TooShortPacketCannotBeSampled()
    {
        using var keys = PacketKeys.Create(CipherSuite.Aes128GcmSha256, new byte[32], QuicVersion.V1);
        // RFC 9001 §5.4.2: the sample needs pnOffset + 4 + 16 bytes.
        var packet = new byte[9 + 4 + 16 - 1];
        packet[0] = 0x40;
        var copy = (byte[])packet.Clone();
        Assert.False(PacketProtector.TryRemoveHeaderProtection(packet, 9, keys, out _, out _));
        Assert.Equal(copy, packet);
        Assert.True(PacketProtector.TryRemoveHeaderProtection(new byte[29], 9, keys, out _, out _));
        Assert.False(PacketProtector.TryRemoveHeaderProtection(Array.Empty<byte>(), 9, keys, out _, out _));

        // TryDecrypt on a packet without room for a tag.
        Assert.False(PacketProtector.TryDecrypt(new byte[20], 9, 1, 0, keys, out _));
        // Protect refuses to build a packet that cannot be sampled.
        var small = new byte[1 + 8 + 1 + 1 + 16];
        small[0] = 0x40;
        Assert.Throws<ArgumentException>(() => PacketProtector.Protect(small, 9, 1, 0, keys));
    }

    [Fact]
    public void ProtectChecksPacketNumberLengthBits()
    {
        using var keys = PacketKeys.Create(CipherSuite.Aes128GcmSha256, new byte[32], QuicVersion.V1);
        var packet = ShortHeaderPacket(40, 1);
        Assert.Throws<ArgumentException>(() => PacketProtector.Protect(packet, 9, 3, 0, keys));
    }

    [Theory]
    [InlineData(CipherSuite.Aes128GcmSha256)]
    [InlineData(CipherSuite.Aes256GcmSha384)]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256)]
    public void ProtectAndOpenDoNotAllocate(CipherSuite suite)
    {
        using var keys = PacketKeys.Create(suite, new byte[suite.HashLength()], QuicVersion.V1);
        var packet = ShortHeaderPacket(1000, 3);
        void Once(ulong pn)
        {
            packet[0] = 0x43;
            PacketProtector.Protect(packet, 9, 4, pn, keys);
            if (!PacketProtector.TryRemoveHeaderProtection(packet, 9, keys, out int len, out _)) throw new InvalidOperationException();
            if (!PacketProtector.TryDecrypt(packet, 9, len, pn, keys, out _)) throw new InvalidOperationException();
        }
        AllocationAssert.NoAllocationPerCall(i => Once((ulong)i));
    }
}
