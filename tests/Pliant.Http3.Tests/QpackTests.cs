using System.Buffers;
using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests;

public class QpackStaticTableTests
{
    [Theory]
    [InlineData(0, ":authority", "")]
    [InlineData(1, ":path", "/")]
    [InlineData(17, ":method", "GET")]
    [InlineData(25, ":status", "200")]
    [InlineData(29, "accept", "*/*")]
    [InlineData(52, "content-type", "text/html; charset=utf-8")]
    [InlineData(85, "content-security-policy", "script-src 'none'; object-src 'none'; base-uri 'none'")]
    [InlineData(98, "x-frame-options", "sameorigin")]
    public void Entries(int index, string name, string value)
    {
        Assert.Equal((name, value), QpackStaticTable.Get(index));
    }

    [Fact]
    public void Lookup()
    {
        Assert.Equal(99, QpackStaticTable.Count);
        Assert.True(QpackStaticTable.TryFindField(":status", "404", out int i));
        Assert.Equal(27, i);
        Assert.True(QpackStaticTable.TryFindName("content-type", out i));
        Assert.Equal(44, i);
        Assert.False(QpackStaticTable.TryFindName("x-custom", out _));
    }
}

public class QpackIntegerTests
{
    // RFC 7541 C.1.
    [Theory]
    [InlineData(10UL, 5, "0a")]
    [InlineData(1337UL, 5, "1f9a0a")]
    [InlineData(42UL, 8, "2a")]
    public void Rfc7541Examples(ulong value, int prefix, string hex)
    {
        var w = new ArrayBufferWriter<byte>();
        QpackInteger.Encode(w, 0, prefix, value);
        Assert.Equal(hex, Convert.ToHexStringLower(w.WrittenSpan));
        Assert.True(QpackInteger.TryDecode(Convert.FromHexString(hex), prefix, out ulong v, out int n, Http3ErrorCode.QpackDecompressionFailed));
        Assert.Equal(value, v);
        Assert.Equal(hex.Length / 2, n);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(62UL)]
    [InlineData(63UL)]
    [InlineData(127UL)]
    [InlineData(128UL)]
    [InlineData(1UL << 40)]
    [InlineData((1UL << 62) - 1)]
    public void RoundTripAllPrefixes(ulong value)
    {
        for (int prefix = 1; prefix <= 8; prefix++)
        {
            var w = new ArrayBufferWriter<byte>();
            byte flags = (byte)(0xFF << prefix);
            QpackInteger.Encode(w, flags, prefix, value);
            Assert.True(QpackInteger.TryDecode(w.WrittenSpan, prefix, out ulong v, out int n, Http3ErrorCode.QpackDecompressionFailed));
            Assert.Equal(value, v);
            Assert.Equal(w.WrittenCount, n);
        }
    }

    [Fact]
    public void TruncatedReturnsFalse()
    {
        Assert.False(QpackInteger.TryDecode(Convert.FromHexString("1f9a"), 5, out _, out _, Http3ErrorCode.QpackDecompressionFailed));
        Assert.False(QpackInteger.TryDecode([], 5, out _, out _, Http3ErrorCode.QpackDecompressionFailed));
    }

    [Fact]
    public void Over62BitsIsError()
    {
        byte[] big = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];
        var ex = Assert.Throws<Http3Exception>(() => QpackInteger.TryDecode(big, 8, out _, out _, Http3ErrorCode.QpackDecompressionFailed));
        Assert.Equal(Http3ErrorCode.QpackDecompressionFailed, ex.ErrorCode);
    }
}

public class HuffmanTests
{
    // RFC 7541 C.4 / C.6.
    [Theory]
    [InlineData("www.example.com", "f1e3c2e5f23a6ba0ab90f4ff")]
    [InlineData("no-cache", "a8eb10649cbf")]
    [InlineData("custom-key", "25a849e95ba97d7f")]
    [InlineData("custom-value", "25a849e95bb8e8b4bf")]
    [InlineData("302", "6402")]
    [InlineData("private", "aec3771a4b")]
    [InlineData("Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff")]
    [InlineData("https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3")]
    public void Rfc7541Examples(string text, string hex)
    {
        byte[] raw = System.Text.Encoding.ASCII.GetBytes(text);
        var dest = new byte[Huffman.GetEncodedLength(raw)];
        Assert.Equal(dest.Length, Huffman.Encode(raw, dest));
        Assert.Equal(hex, Convert.ToHexStringLower(dest));
        Assert.Equal(raw, Huffman.Decode(Convert.FromHexString(hex), Http3ErrorCode.QpackDecompressionFailed));
    }

    [Fact]
    public void RoundTripAllBytes()
    {
        var rng = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            var raw = new byte[rng.Next(0, 300)];
            rng.NextBytes(raw);
            var dest = new byte[Huffman.GetEncodedLength(raw)];
            Huffman.Encode(raw, dest);
            Assert.Equal(raw, Huffman.Decode(dest, Http3ErrorCode.QpackDecompressionFailed));
        }
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var d = new byte[Huffman.GetEncodedLength(all)];
        Huffman.Encode(all, d);
        Assert.Equal(all, Huffman.Decode(d, Http3ErrorCode.QpackDecompressionFailed));
    }

    [Theory]
    [InlineData("f1e3c2e5f23a6ba0ab90f4fe")] // padding not all 1s
    [InlineData("f1e3c2e5f23a6ba0ab90f4ffff")] // 8+ bits of padding
    [InlineData("ffffffff")] // contains EOS (30 ones)
    [InlineData("ff")] // 8 bits of padding
    [InlineData("00")] // '0' (00000) then 000 padding, not 1s
    public void InvalidPaddingOrEos(string hex)
    {
        var ex = Assert.Throws<Http3Exception>(() => Huffman.Decode(Convert.FromHexString(hex), Http3ErrorCode.QpackDecompressionFailed));
        Assert.Equal(Http3ErrorCode.QpackDecompressionFailed, ex.ErrorCode);
    }
}
