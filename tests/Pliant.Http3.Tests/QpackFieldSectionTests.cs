using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests;

public class QpackFieldSectionTests
{
    private static readonly Http3Field[] s_sample =
    [
        new(":method", "GET"),            // static indexed 17
        new(":scheme", "https"),          // static indexed 23
        new(":authority", "example.com"), // static name ref 0
        new(":path", "/index.html"),      // static name ref 1
        new("user-agent", "pliant/1.0"),  // static name ref 95
        new("x-custom", "ABCdef 123 \u00e9"), // literal name; Latin-1 octet
        new("accept", "*/*"),
        new("empty", ""),
    ];

    [Fact]
    public void RoundTrip()
    {
        byte[] encoded = QpackEncoder.Encode(s_sample);
        Assert.Equal(0, encoded[0]); // Required Insert Count 0
        Assert.Equal(0, encoded[1]); // Base 0
        Assert.Equal(0xC0 | 17, encoded[2]); // indexed static :method GET
        Assert.Equal(s_sample, QpackDecoder.Decode(encoded));
    }

    [Fact]
    public void Rfc9204B1LiteralWithStaticNameReference()
    {
        // RFC 9204 Appendix B.1: 0000 510b 2f69 6e64 6578 2e68 746d 6c → :path=/index.html
        var fields = QpackDecoder.Decode(Convert.FromHexString("0000510b2f696e6465782e68746d6c"));
        Assert.Equal([new Http3Field(":path", "/index.html")], fields);
    }

    [Theory]
    [InlineData("0100")]       // Required Insert Count 1
    [InlineData("0080")]       // sign bit set with RIC 0
    [InlineData("000080")]     // indexed dynamic (T=0)
    [InlineData("000040")]     // literal with dynamic name ref
    [InlineData("000010")]     // post-base indexed
    [InlineData("000000")]     // literal with post-base name ref
    [InlineData("0000ff7f")]   // static index out of range (63+127)
    [InlineData("00")]         // truncated prefix
    [InlineData("00005105")]   // truncated value
    [InlineData("0000230061")] // literal name truncated
    [InlineData("000051ff")]   // Huffman value with truncated length
    [InlineData("00005181ff")] // Huffman value of 8 padding bits
    public void InvalidSectionsAreDecompressionFailed(string hex)
    {
        var ex = Assert.Throws<Http3Exception>(() => QpackDecoder.Decode(Convert.FromHexString(hex)));
        Assert.Equal(Http3ErrorCode.QpackDecompressionFailed, ex.ErrorCode);
        Assert.Equal(0x200UL, (ulong)ex.ErrorCode);
    }

    [Fact]
    public void FieldSectionSizeLimit()
    {
        byte[] encoded = QpackEncoder.Encode(s_sample);
        var ex = Assert.Throws<Http3Exception>(() => QpackDecoder.Decode(encoded, maxFieldSectionSize: 100));
        Assert.Equal(Http3ErrorCode.MessageError, ex.ErrorCode);
        Assert.True(ex.IsStreamError);
    }

    [Fact]
    public void MutatedSectionsOnlyThrowHttp3Exception()
    {
        byte[] encoded = QpackEncoder.Encode(s_sample);
        var rng = new Random(42);
        for (int i = 0; i < 5000; i++)
        {
            byte[] m = (byte[])encoded.Clone();
            int flips = rng.Next(1, 4);
            for (int f = 0; f < flips; f++) m[rng.Next(m.Length)] ^= (byte)(1 << rng.Next(8));
            int len = rng.Next(2) == 0 ? m.Length : rng.Next(m.Length);
            try
            {
                QpackDecoder.Decode(m.AsSpan(0, len));
            }
            catch (Http3Exception ex)
            {
                Assert.True(ex.ErrorCode is Http3ErrorCode.QpackDecompressionFailed or Http3ErrorCode.MessageError);
            }
        }
    }
}

public class QpackInstructionStreamTests
{
    [Fact]
    public void EncoderStreamSetCapacityZeroIsLegal()
    {
        var p = new QpackEncoderStreamParser();
        p.Process([0x20]);
        p.Process([0x20, 0x20]);
        Assert.Equal(0UL, p.Capacity);
    }

    [Theory]
    [InlineData("21")]         // capacity 1 > 0
    [InlineData("c00161")]     // insert with static name ref
    [InlineData("4161016")]    // insert with literal name (odd hex fixed below)
    [InlineData("00")]         // duplicate
    public void EncoderStreamInsertsAreErrors(string hex)
    {
        if (hex.Length % 2 == 1) hex += "0";
        var p = new QpackEncoderStreamParser();
        var ex = Assert.Throws<Http3Exception>(() => p.Process(Convert.FromHexString(hex)));
        Assert.Equal(Http3ErrorCode.QpackEncoderStreamError, ex.ErrorCode);
    }

    [Fact]
    public void EncoderStreamSplitInstruction()
    {
        var p = new QpackEncoderStreamParser(maxTableCapacity: 4096);
        p.Process([0x3f]);        // 5-bit prefix full, continuation follows
        p.Process([0xe1, 0x1f]);  // 31 + 0x61 + (0x1f << 7) = 4096
        Assert.Equal(4096UL, p.Capacity);
    }

    [Fact]
    public void DecoderStreamAcksAndCancellationsAccepted()
    {
        var p = new QpackDecoderStreamParser();
        p.Process([0x84, 0x40 | 0x08, 0xff]); // ack stream 4, cancel stream 8, start of a long ack
        p.Process([0x01]);                    // ...completes: stream 128
    }

    [Theory]
    [InlineData("00")] // increment 0
    [InlineData("01")] // increment beyond 0 inserts
    public void DecoderStreamInsertCountIncrementIsError(string hex)
    {
        var p = new QpackDecoderStreamParser();
        var ex = Assert.Throws<Http3Exception>(() => p.Process(Convert.FromHexString(hex)));
        Assert.Equal(Http3ErrorCode.QpackDecoderStreamError, ex.ErrorCode);
    }
}
