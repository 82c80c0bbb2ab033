using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests.Qpack;

public sealed class QpackEncoderTests
{
    private static readonly List<Http3Field> s_request =
    [
        new(":method", "GET"), new(":scheme", "https"), new(":authority", "api.example.com"), new(":path", "/items/1"),
        new("user-agent", "pliant-test/1.0"), new("x-tenant", "blue"),
    ];

    private static byte[] Drain(QpackInstructionQueue q)
    {
        var all = new List<byte>();
        while (q.TryDequeue(out var c)) all.AddRange(c);
        return [.. all];
    }

    [Fact]
    public void BeforeTheSettingsAndWithoutPeerCapacityOnlyStaticAndLiterals()
    {
        var e = new QpackEncoderContext(4096);
        byte[] first = e.Encode(0, s_request);
        Assert.Equal(QpackEncoder.Encode(s_request), first);
        e.ApplyPeerSettings(0, 100);
        Assert.Equal(QpackEncoder.Encode(s_request), e.Encode(4, s_request));
        Assert.Empty(Drain(e.Instructions)); // §3.2.3: no encoder instruction at all with capacity 0
        Assert.Equal(0, e.InsertsSent);
    }

    [Fact]
    public void OurOwnLimitCapsThePeersAllowance()
    {
        var e = new QpackEncoderContext(0);
        e.ApplyPeerSettings(4096, 100);
        Assert.Equal(QpackEncoder.Encode(s_request), e.Encode(0, s_request));
        var f = new QpackEncoderContext(1024);
        f.ApplyPeerSettings(4096, 100);
        Assert.Equal(1024, f.Capacity);
    }

    [Fact]
    public void RepeatedFieldsBecomeReferencesAndTheSectionShrinks()
    {
        var e = new QpackEncoderContext(4096);
        var d = new QpackDecoderContext(4096, 16);
        e.ApplyPeerSettings(4096, 16);
        var parser = e.CreateDecoderStreamParser();
        byte[] s1 = e.Encode(0, s_request);
        d.ProcessEncoderStream(Drain(e.Instructions));
        Assert.Equal(s_request, d.DecodeAsync(0, s1, long.MaxValue, default).AsTask().Result);
        parser.Process(Drain(d.Instructions));
        byte[] s2 = e.Encode(4, s_request);
        Assert.Equal(s_request, d.DecodeAsync(4, s2, long.MaxValue, default).AsTask().Result);
        // :authority, user-agent and x-tenant are one byte each now; :path stays a literal.
        Assert.True(s2.Length < QpackEncoder.Encode(s_request).Length / 2, $"{s2.Length} vs {QpackEncoder.Encode(s_request).Length}");
        Assert.Equal(3, e.InsertsSent);
        Assert.True(e.DynamicReferencesSent >= 6);
    }

    [Fact]
    public void WithoutBlockedStreamsOnlyAcknowledgedEntriesAreReferenced()
    {
        var e = new QpackEncoderContext(4096);
        e.ApplyPeerSettings(4096, 0);
        var parser = e.CreateDecoderStreamParser();
        byte[] s1 = e.Encode(0, s_request);
        byte[] s2 = e.Encode(4, s_request);
        Assert.Equal(0, s1[0]); // Required Insert Count 0: nothing unacknowledged referenced
        Assert.Equal(0, s2[0]);
        Assert.Equal(3, e.InsertsSent); // inserted once, for later
        parser.Process([0x03]); // Insert Count Increment 3
        byte[] s3 = e.Encode(8, s_request);
        Assert.NotEqual(0, s3[0]);
        Assert.True(s3.Length < s1.Length);
    }

    [Fact]
    public void SensitiveFieldsAreNeverIndexedAndCarryTheNBit()
    {
        var e = new QpackEncoderContext(4096);
        e.ApplyPeerSettings(4096, 16);
        List<Http3Field> fields = [new("authorization", "Bearer secret-token"), new("cookie", "session=abc"), new("x-api-key-name", "x")];
        for (int i = 0; i < 3; i++) e.Encode((ulong)i * 4, fields);
        byte[] instructions = Drain(e.Instructions);
        Assert.DoesNotContain("secret", System.Text.Encoding.Latin1.GetString(instructions), StringComparison.Ordinal);
        Assert.DoesNotContain("session", System.Text.Encoding.Latin1.GetString(instructions), StringComparison.Ordinal);
        byte[] section = e.Encode(12, fields);
        // authorization is static name 84: '01' N=1 T=1 with a 4-bit prefix -> 0x7f then 84 - 15 = 69.
        Assert.Equal(0x7f, section[2]);
        Assert.Equal(69, section[3]);
        var decoded = QpackDecoder.Decode(QpackEncoder.Encode(fields));
        Assert.Equal(fields, decoded);
    }

    [Theory]
    [InlineData(new byte[] { 0x84 }, "without an unacknowledged section")]
    [InlineData(new byte[] { 0x00 }, "Increment of 0")]
    [InlineData(new byte[] { 0x05 }, "beyond")]
    public void DecoderStreamErrors(byte[] instructions, string message)
    {
        var e = new QpackEncoderContext(4096);
        e.ApplyPeerSettings(4096, 16);
        e.Encode(0, s_request); // 3 inserts, one section on stream 0
        var ex = Assert.Throws<Http3Exception>(() => e.CreateDecoderStreamParser().Process(instructions));
        Assert.Equal(Http3ErrorCode.QpackDecoderStreamError, ex.ErrorCode);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CancellationOfAnUnknownStreamIsIgnoredAndReleasesReferences()
    {
        var e = new QpackEncoderContext(4096);
        e.ApplyPeerSettings(4096, 16);
        var p = e.CreateDecoderStreamParser();
        e.Encode(0, s_request);
        Assert.Equal(1, e.TrackedSections);
        p.Process([0x48]);        // stream 8: nothing there
        p.Process([0x40]);        // stream 0
        Assert.Equal(0, e.TrackedSections);
        Assert.Throws<Http3Exception>(() => p.Process([0x80])); // its section is gone: acknowledging it is an error
    }

    [Fact]
    public void APeerThatNeverAcknowledgesCannotMakeTheEncoderTrackWithoutBound()
    {
        var e = new QpackEncoderContext(4096);
        e.ApplyPeerSettings(4096, 100);
        e.Encode(0, s_request);
        var p = e.CreateDecoderStreamParser();
        p.Process([0x03]); // the inserts arrived (Insert Count Increment), but no section is ever acknowledged
        for (ulong i = 1; i < 5000; i++) e.Encode(i * 4, s_request);
        Assert.Equal(QpackEncoderContext.MaxTrackedSections, e.TrackedSections);
        Assert.Equal(QpackEncoder.Encode(s_request), e.Encode(50_000, s_request)); // static and literal from here on
    }

    [Fact]
    public void InstructionsStuckBehindFlowControlStopFurtherInserts()
    {
        var e = new QpackEncoderContext(1 << 20);
        e.ApplyPeerSettings(1 << 20, 100);
        var p = e.CreateDecoderStreamParser();
        for (int i = 0; i < 2000; i++)
        {
            e.Encode((ulong)i * 4, [new Http3Field("x-unique-" + i, new string('v', 200))]);
            long unacknowledged = e.InsertsSent - e.KnownReceivedCount;
            if (unacknowledged > 0) p.Process(QpackIntegerBytes(0x00, 6, (ulong)unacknowledged)); // received: only the queue limits
        }
        Assert.True(e.Instructions.PendingBytes <= QpackEncoderContext.MaxPendingInstructionBytes + 300);
        Assert.True(e.InsertsSent < 2000);
    }

    private static byte[] QpackIntegerBytes(byte flags, int prefix, ulong v)
    {
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        QpackInteger.Encode(w, flags, prefix, v);
        return w.WrittenSpan.ToArray();
    }
}

public sealed class QpackEncoderSmallTableTests
{
    /// <summary>Found by the http3 fuzz corpus: a peer allowing 31 bytes (MaxEntries 0) made the encoder divide by zero.</summary>
    [Theory]
    [InlineData(1UL)]
    [InlineData(31UL)]
    public void ATableTooSmallForAnyEntryIsNotUsed(ulong capacity)
    {
        var e = new QpackEncoderContext(4096);
        e.ApplyPeerSettings(capacity, 16);
        List<Http3Field> fields = [new(":status", "200"), new("x-a", "b")];
        Assert.Equal(QpackEncoder.Encode(fields), e.Encode(0, fields));
        Assert.Equal(0, e.Capacity);
    }

    [Fact]
    public void ThirtyTwoBytesHoldsOneEmptyEntry()
    {
        var e = new QpackEncoderContext(4096);
        e.ApplyPeerSettings(32, 16);
        Assert.Equal(32, e.Capacity);
        var d = new QpackDecoderContext(32, 16);
        List<Http3Field> fields = [new("x-a", "b")];
        byte[] section = e.Encode(0, fields);
        while (e.Instructions.TryDequeue(out var c)) d.ProcessEncoderStream(c);
        Assert.Equal(fields, d.DecodeAsync(0, section, long.MaxValue, default).AsTask().Result);
    }
}
