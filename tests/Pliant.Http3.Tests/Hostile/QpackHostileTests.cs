using System.Buffers;
using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests.Hostile;

/// <summary>
/// A peer's encoder stream, decoder stream and field sections built to break our QPACK decoder and encoder:
/// each gets the RFC 9204 error, and memory stays within the stated bounds (docs/security.md).
/// </summary>
public sealed class QpackHostileTests
{
    private const Http3ErrorCode Failed = Http3ErrorCode.QpackDecompressionFailed;
    private const Http3ErrorCode EncoderStream = Http3ErrorCode.QpackEncoderStreamError;

    private static byte[] Int(byte flags, int prefix, ulong v)
    {
        var w = new ArrayBufferWriter<byte>();
        QpackInteger.Encode(w, flags, prefix, v);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>A decoder of capacity 4096 whose table holds "x-a: 1" (abs 0) and "x-b: 2" (abs 1).</summary>
    private static QpackDecoderContext DecoderWithTwoEntries()
    {
        var d = new QpackDecoderContext(4096, 2);
        d.ProcessEncoderStream([.. Int(0x20, 5, 4096), 0x43, (byte)'x', (byte)'-', (byte)'a', 0x01, (byte)'1', 0x43, (byte)'x', (byte)'-', (byte)'b', 0x01, (byte)'2']);
        Assert.Equal(2, d.InsertsReceived);
        return d;
    }

    public static TheoryData<string, byte[]> BadSections => new()
    {
        // RIC 2 (encoded 3), Base 2: relative index 2 is below absolute 0.
        { "relative index beyond Base", [0x03, 0x00, 0x82] },
        // RIC 1 (encoded 2), Base 1: relative 0 = abs 0 is fine, post-Base 0 = abs 1 is at the RIC.
        { "post-Base index at the Required Insert Count", [0x02, 0x00, 0x10] },
        // RIC 1, Base 3 (delta 2): relative 0 = abs 2 is not below RIC 1.
        { "reference above the Required Insert Count", [0x02, 0x02, 0x80] },
        // RIC 2, sign 1, delta 2: Base would be -1.
        { "negative Base", [0x03, 0x82, 0x10] },
        // Encoded RIC beyond 2 * MaxEntries (MaxEntries 128).
        { "encoded Required Insert Count out of range", [.. Int(0, 8, 300), 0x00] },
        { "static index out of range", [0x00, 0x00, 0xff, 0x2a] },
        { "name reference beyond Base", [0x03, 0x00, 0x45, 0x00] },
        { "post-Base name reference beyond the RIC", [0x02, 0x80, 0x01, 0x00] },
        { "truncated prefix", [0x03] },
        { "truncated integer", [0x00, 0x00, 0xff] },
        { "string past the end", [0x00, 0x00, 0x51, 0x7f, 0x10, 0x61] },
        { "bad Huffman", [0x00, 0x00, 0x51, 0x81, 0x00] },
    };

    [Theory]
    [MemberData(nameof(BadSections))]
    public async Task BadSectionsAreDecompressionFailed(string name, byte[] section)
    {
        _ = name;
        var d = DecoderWithTwoEntries();
        var ex = await Assert.ThrowsAsync<Http3Exception>(async () => await d.DecodeAsync(0, section, long.MaxValue, default));
        Assert.Equal(Failed, ex.ErrorCode);
        Assert.False(ex.IsStreamError);
    }

    [Fact]
    public async Task AReferenceToAnEvictedEntryIsDecompressionFailed()
    {
        var d = new QpackDecoderContext(100, 2);
        d.ProcessEncoderStream([.. Int(0x20, 5, 100), 0x43, (byte)'x', (byte)'-', (byte)'a', 0x01, (byte)'1']); // abs 0 (36 bytes)
        d.ProcessEncoderStream([0x43, (byte)'x', (byte)'-', (byte)'b', 0x20, .. new byte[32]]);                 // abs 1 (67): evicts abs 0
        var ex = await Assert.ThrowsAsync<Http3Exception>(async () => await d.DecodeAsync(0, new byte[] { 0x03, 0x00, 0x81 }, long.MaxValue, default));
        Assert.Equal(Failed, ex.ErrorCode);
    }

    [Fact]
    public async Task MoreBlockedStreamsThanAllowedIsDecompressionFailed()
    {
        var d = new QpackDecoderContext(4096, 2);
        using var cts = new CancellationTokenSource();
        // Each references an entry that never comes (RIC 5, encoded 6).
        var a = d.DecodeAsync(0, new byte[] { 0x06, 0x00, 0x80 }, long.MaxValue, cts.Token).AsTask();
        var b = d.DecodeAsync(4, new byte[] { 0x06, 0x00, 0x80 }, long.MaxValue, cts.Token).AsTask();
        Assert.Equal(2, d.BlockedNow);
        var ex = await Assert.ThrowsAsync<Http3Exception>(async () => await d.DecodeAsync(8, new byte[] { 0x06, 0x00, 0x80 }, long.MaxValue, default));
        Assert.Equal(Failed, ex.ErrorCode);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        Assert.Equal(0, d.BlockedNow); // a cancelled wait gives its slot back
    }

    [Fact]
    public async Task ACancelledStreamStopsWaiting()
    {
        var d = new QpackDecoderContext(4096, 2);
        var a = d.DecodeAsync(12, new byte[] { 0x06, 0x00, 0x80 }, long.MaxValue, default).AsTask();
        d.StreamCancelled(12);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        Assert.Equal(0, d.BlockedNow);
        Assert.True(d.Instructions.TryDequeue(out var cancel));
        Assert.Equal([0x4c], cancel); // Stream Cancellation (stream 12), §4.4.2
    }

    public static TheoryData<string, byte[]> BadEncoderStreams => new()
    {
        { "capacity above the maximum", Int(0x20, 5, 4097) },
        { "insert before any capacity", [0xc0, 0x01, 0x61] },
        { "entry larger than the capacity", [.. Int(0x20, 5, 40), 0xc0, 0x09, .. "012345678"u8.ToArray()] },
        { "static name index out of range", [.. Int(0x20, 5, 4096), 0xff, 0x25, 0x00] },
        { "dynamic name reference to nothing", [.. Int(0x20, 5, 4096), 0x80, 0x00] },
        { "duplicate of nothing", [.. Int(0x20, 5, 4096), 0x00] },
        { "duplicate beyond the inserts", [.. Int(0x20, 5, 4096), 0xc0, 0x00, 0x01] },
        { "bad Huffman in a value", [.. Int(0x20, 5, 4096), 0xc0, 0x81, 0x00] },
        { "string longer than the table", [.. Int(0x20, 5, 4096), 0x5f, .. Int(0, 8, 5000)[0..^0]] },
        { "integer over 62 bits", [0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f] },
    };

    [Theory]
    [MemberData(nameof(BadEncoderStreams))]
    public void BadEncoderStreamsAreEncoderStreamError(string name, byte[] data)
    {
        _ = name;
        var d = new QpackDecoderContext(4096, 2);
        var ex = Assert.Throws<Http3Exception>(() =>
        {
            // Byte by byte: an error must not depend on how the stream was split.
            foreach (byte b in data) d.ProcessEncoderStream([b]);
        });
        Assert.Equal(EncoderStream, ex.ErrorCode);
    }

    [Fact]
    public void AnAnnouncedHugeStringFailsBeforeItsBytesArrive()
    {
        var d = new QpackDecoderContext(4096, 2);
        // Insert With Literal Name, name length 1,000,000: refused on the length alone (bounded buffering).
        byte[] head = [.. Int(0x20, 5, 4096), .. Int(0x40, 5, 1_000_000)];
        var ex = Assert.Throws<Http3Exception>(() => d.ProcessEncoderStream(head));
        Assert.Equal(EncoderStream, ex.ErrorCode);
    }

    [Fact]
    public void AnInstructionTrickledByteByByteIsKeptOnlyUntilComplete()
    {
        var parser = new QpackEncoderStreamParser(4096);
        byte[] value = new byte[4000];
        Array.Fill(value, (byte)'v');
        byte[] insert = [.. Int(0x20, 5, 4096), 0xc0, .. Int(0, 7, 4000), .. value];
        int maxPending = 0;
        foreach (byte b in insert)
        {
            parser.Process([b]);
            maxPending = Math.Max(maxPending, parser.PendingBytes);
        }
        Assert.Equal(1, parser.Table.InsertCount);
        Assert.Equal(0, parser.PendingBytes);
        // The unfinished instruction kept is at most one entry's strings plus its integer prefixes.
        Assert.True(maxPending <= 4096 + 11, $"kept {maxPending} bytes");
    }

    [Fact]
    public void AnInsertFloodKeepsTheTableWithinItsCapacity()
    {
        var d = new QpackDecoderContext(4096, 2);
        d.ProcessEncoderStream(Int(0x20, 5, 4096));
        byte[] one = [0x43, (byte)'x', (byte)'-', (byte)'f', 0x03, (byte)'a', (byte)'b', (byte)'c'];
        var chunk = new byte[one.Length * 1000];
        for (int i = 0; i < 1000; i++) one.CopyTo(chunk, i * one.Length);
        long maxSize = 0;
        for (int i = 0; i < 200; i++)
        {
            d.ProcessEncoderStream(chunk);
            maxSize = Math.Max(maxSize, d.TableSize);
        }
        Assert.Equal(200_000, d.InsertsReceived);
        // The table never holds more than the 4096 bytes of capacity (4096 / 38 = 107 entries of 38 bytes).
        Assert.True(maxSize <= 4096);
        Assert.Equal(107 * 38, d.TableSize);
        // Insert Count Increments are queued, one per chunk (3 bytes each for 1000).
        Assert.Equal(200 * 3, d.Instructions.PendingBytes);
    }

    [Fact]
    public async Task APeerThatNeverReadsOurDecoderStreamGetsExcessiveLoad()
    {
        var d = new QpackDecoderContext(4096, 2);
        d.ProcessEncoderStream([.. Int(0x20, 5, 4096), 0x43, (byte)'x', (byte)'-', (byte)'a', 0x01, (byte)'1']);
        var ex = await Assert.ThrowsAsync<Http3Exception>(async () =>
        {
            // Every acknowledged section queues a Section Acknowledgment that nobody writes.
            for (ulong s = 0; s < 100_000; s++) await d.DecodeAsync(s * 4, new byte[] { 0x02, 0x00, 0x80 }, long.MaxValue, default);
        });
        Assert.Equal(Http3ErrorCode.ExcessiveLoad, ex.ErrorCode);
        Assert.True(d.Instructions.PendingBytes <= QpackDecoderContext.MaxPendingInstructionBytes);
    }

    [Fact]
    public void DecoderStreamGarbageIsDecoderStreamError()
    {
        var e = new QpackEncoderContext(4096);
        e.ApplyPeerSettings(4096, 16);
        var p = e.CreateDecoderStreamParser();
        Assert.Equal(Http3ErrorCode.QpackDecoderStreamError, Assert.Throws<Http3Exception>(() => p.Process([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])).ErrorCode);
        var q = e.CreateDecoderStreamParser();
        Assert.Equal(Http3ErrorCode.QpackDecoderStreamError, Assert.Throws<Http3Exception>(() => q.Process([0x3f, 0x80, 0x80, 0x01])).ErrorCode); // increment beyond inserts
    }
}
