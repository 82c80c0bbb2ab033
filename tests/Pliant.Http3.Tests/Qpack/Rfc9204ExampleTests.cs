using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests.Qpack;

/// <summary>RFC 9204 Appendix B, fed to our decoder (the encoder's table there has capacity 220).</summary>
public sealed class Rfc9204ExampleTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", "", StringComparison.Ordinal));

    private static byte[] Drain(QpackInstructionQueue q)
    {
        var ms = new MemoryStream();
        q.Complete();
        q.PumpAsync(ms, default).GetAwaiter().GetResult();
        return ms.ToArray();
    }

    [Fact]
    public async Task AppendixB()
    {
        var d = new QpackDecoderContext(maxTableCapacity: 220, maxBlockedStreams: 16);

        // B.1: a literal with a static name reference, no dynamic state.
        var b1 = await d.DecodeAsync(0, Hex("0000 510b 2f69 6e64 6578 2e68 746d 6c"), long.MaxValue, default);
        Assert.Equal([new Http3Field(":path", "/index.html")], b1);

        // B.2: capacity 220, two inserts with static name references, then a section with post-Base indices.
        d.ProcessEncoderStream(Hex("3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468"));
        Assert.Equal(2, d.InsertsReceived);
        var b2 = await d.DecodeAsync(4, Hex("0381 10 11"), long.MaxValue, default);
        Assert.Equal([new Http3Field(":authority", "www.example.com"), new Http3Field(":path", "/sample/path")], b2);

        // B.3: a speculative insert with a literal name.
        d.ProcessEncoderStream(Hex("4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565"));

        // B.4: a section that arrives before the Duplicate it needs is blocked, then decodes.
        var blocked = d.DecodeAsync(8, Hex("0500 80 c1 81"), long.MaxValue, default).AsTask();
        Assert.False(blocked.IsCompleted);
        Assert.Equal(1, d.BlockedNow);
        d.ProcessEncoderStream(Hex("02"));
        var b4 = await blocked.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([new Http3Field(":authority", "www.example.com"), new Http3Field(":path", "/"), new Http3Field("custom-key", "custom-value")], b4);

        // B.5: an insert with a dynamic name reference evicts the oldest entry.
        d.ProcessEncoderStream(Hex("810d 6375 7374 6f6d 2d76 616c 7565 32"));
        Assert.Equal(5, d.InsertsReceived);
        var ex = await Assert.ThrowsAsync<Http3Exception>(async () => await d.DecodeAsync(12, Hex("0600 84"), long.MaxValue, default)); // abs 0, evicted
        Assert.Equal(Http3ErrorCode.QpackDecompressionFailed, ex.ErrorCode);
        var b5 = await d.DecodeAsync(16, Hex("0600 80"), long.MaxValue, default); // RIC 5, Base 5, relative 0 = abs 4
        Assert.Equal([new Http3Field("custom-key", "custom-value2")], b5);

        // What our decoder told the encoder, in order: Insert Count Increment 2 (B.2 inserts), Section
        // Acknowledgment 4, Increment 1 (B.3), Increment 1 (B.4's duplicate), Section Acknowledgment 8,
        // Increment 1 (B.5), Section Acknowledgment 16.
        Assert.Equal(Hex("02 84 01 01 88 01 90"), Drain(d.Instructions));
        Assert.Equal(3, d.SectionAcknowledgments);
        Assert.Equal(1, d.BlockedSections);
        Assert.Equal(5, d.DynamicReferencesDecoded);
    }

    [Theory]
    [InlineData(10, 4, 9)]    // RFC 9204 §4.5.1.1: table of 100 bytes (MaxEntries 3), 10 inserts, encoded 4 -> 9
    [InlineData(0, 4, 3)]     // ahead of the inserts (a blocked section): up to MaxEntries beyond
    [InlineData(0, 2, 1)]
    [InlineData(7, 1, 6)]     // a multiple of 2 * MaxEntries
    [InlineData(1000, 3, 998)]
    [InlineData(1000, 1, 1002)]
    public void RequiredInsertCountWraps(long inserts, ulong encoded, long expected)
    {
        Assert.Equal(expected, QpackDecoder.RequiredInsertCount(encoded, 100, inserts));
    }

    [Theory]
    [InlineData(0, 7)]   // more than 2 * MaxEntries
    [InlineData(0, 1)]   // Required Insert Count 0 encoded as non-zero
    [InlineData(0, 5)]   // more than MaxEntries ahead of the inserts, and no wrap explains it
    public void ImpossibleRequiredInsertCountsAreErrors(long inserts, ulong encoded)
    {
        var ex = Assert.Throws<Http3Exception>(() => QpackDecoder.RequiredInsertCount(encoded, 100, inserts));
        Assert.Equal(Http3ErrorCode.QpackDecompressionFailed, ex.ErrorCode);
    }
}
