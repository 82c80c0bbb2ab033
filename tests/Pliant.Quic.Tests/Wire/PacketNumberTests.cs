using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Wire;

public class PacketNumberTests
{
    [Fact]
    public void DecodesRfc9000AppendixA3Example()
    {
        Assert.Equal(0xa82f9b32UL, PacketNumber.Decode(0xa82f30eaUL, 0x9b32UL, 2));
    }

    [Theory]
    // RFC 9000 §17.1 / A.2 examples: largest acked 0xabe8b3, sending 0xac5c02 → 16 bits; 0xace8fe → 24 bits.
    [InlineData(0xac5c02UL, 0xabe8b3UL, 2)]
    [InlineData(0xace8feUL, 0xabe8b3UL, 3)]
    [InlineData(1UL, 0UL, 1)]
    [InlineData(0x80UL, 0UL, 1)]
    [InlineData(0x100UL, 0UL, 2)]
    public void EncodedLengthMatchesRfc(ulong full, ulong largestAcked, int expected)
    {
        Assert.Equal(expected, PacketNumber.EncodedLength(full, largestAcked));
    }

    [Fact]
    public void EncodedLengthWithoutAcks()
    {
        Assert.Equal(1, PacketNumber.EncodedLength(0, (ulong?)null));
        Assert.Equal(2, PacketNumber.EncodedLength(200, (ulong?)null));
    }

    [Fact]
    public void RoundTripsNearLargest()
    {
        var rng = new Random(7);
        Span<byte> buf = stackalloc byte[4];
        for (int i = 0; i < 10_000; i++)
        {
            ulong largestAcked = (ulong)rng.NextInt64(0, 1L << 40);
            ulong full = largestAcked + 1 + (ulong)rng.Next(0, 100_000);
            int len = PacketNumber.EncodedLength(full, largestAcked);
            PacketNumber.Write(buf, full, len);
            ulong truncated = PacketNumber.ReadTruncated(buf, len);
            // The receiver's largest may be anywhere between largestAcked and full-1.
            ulong largestReceived = largestAcked + (ulong)rng.NextInt64(0, (long)(full - largestAcked));
            Assert.Equal(full, PacketNumber.Decode(largestReceived, truncated, len));
        }
    }

    [Fact]
    public void DecodeFirstPacket()
    {
        Assert.Equal(0UL, PacketNumber.Decode((ulong?)null, 0, 1));
        Assert.Equal(5UL, PacketNumber.Decode((ulong?)null, 5, 4));
    }
}
