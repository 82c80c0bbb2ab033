using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Wire;

public class VarIntTests
{
    // RFC 9000 §A.1 sample encodings.
    [Theory]
    [InlineData("c2197c5eff14e88c", 151288809941952652UL)]
    [InlineData("9d7f3e7d", 494878333UL)]
    [InlineData("7bbd", 15293UL)]
    [InlineData("25", 37UL)]
    public void DecodesRfcSamples(string hex, ulong expected)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.True(VarInt.TryRead(bytes, out var v, out var len));
        Assert.Equal(expected, v);
        Assert.Equal(bytes.Length, len);
        var buf = new byte[8];
        int written = VarInt.Write(buf, expected);
        Assert.Equal(hex, Convert.ToHexString(buf, 0, written).ToLowerInvariant());
    }

    [Fact]
    public void TwoByteEncodingOfSmallValueDecodes()
    {
        Assert.True(VarInt.TryRead(new byte[] { 0x40, 0x25 }, out var v, out var len));
        Assert.Equal(37UL, v);
        Assert.Equal(2, len);
    }

    [Fact]
    public void TruncatedInputIsRejected()
    {
        Assert.False(VarInt.TryRead(new byte[] { 0x9d, 0x7f }, out _, out _));
        Assert.False(VarInt.TryRead(ReadOnlySpan<byte>.Empty, out _, out _));
    }

    [Fact]
    public void ValuesAbove62BitsCannotBeWritten()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VarInt.Write(new byte[8], VarInt.Max + 1));
    }
}
