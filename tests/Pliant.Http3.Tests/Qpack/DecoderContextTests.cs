using System.Buffers;
using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests.Qpack;

/// <summary>
/// Our QPACK decoder (RFC 9204 §2.2) driven by hand-built encoder instructions: capacity changes and eviction,
/// the Insert Count Increments and Section Acknowledgments it owes, blocked sections that resume, and the
/// encoder-stream corner cases the RFC allows.
/// </summary>
public sealed class DecoderContextTests
{
    private const Http3ErrorCode Failed = Http3ErrorCode.QpackDecompressionFailed;
    private const Http3ErrorCode EncoderStream = Http3ErrorCode.QpackEncoderStreamError;

    private static byte[] Capacity(ulong capacity) => Bytes(w => QpackInteger.Encode(w, 0x20, 5, capacity));

    /// <summary>§4.3.3 Insert with Literal Name (no Huffman, so sizes are predictable).</summary>
    private static byte[] InsertLiteral(string name, string value) => Bytes(w =>
    {
        QpackString.Encode(w, 0x40, 6, System.Text.Encoding.Latin1.GetBytes(name));
        QpackString.Encode(w, 0x00, 8, System.Text.Encoding.Latin1.GetBytes(value));
    });

    /// <summary>§4.3.2 Insert with Name Reference to the dynamic table (relative index).</summary>
    private static byte[] InsertDynamicName(ulong relative, string value) => Bytes(w =>
    {
        QpackInteger.Encode(w, 0x80, 6, relative);
        QpackString.Encode(w, 0x00, 8, System.Text.Encoding.Latin1.GetBytes(value));
    });

    private static byte[] Duplicate(ulong relative) => Bytes(w => QpackInteger.Encode(w, 0x00, 5, relative));

    /// <summary>A section with Required Insert Count <paramref name="ric"/>, Base = RIC, one Indexed Field Line of relative index <paramref name="relative"/>.</summary>
    private static byte[] IndexedSection(ulong maxCapacity, long ric, ulong relative) => Bytes(w =>
    {
        ulong maxEntries = maxCapacity / 32;
        QpackInteger.Encode(w, 0x00, 8, ric == 0 ? 0 : (ulong)ric % (2 * maxEntries) + 1);
        QpackInteger.Encode(w, 0x00, 7, 0);
        QpackInteger.Encode(w, 0x80, 6, relative);
    });

    private static byte[] Bytes(Action<ArrayBufferWriter<byte>> write)
    {
        var w = new ArrayBufferWriter<byte>();
        write(w);
        return w.WrittenSpan.ToArray();
    }

    private static List<byte[]> Drain(QpackDecoderContext d)
    {
        var list = new List<byte[]>();
        while (d.Instructions.TryDequeue(out var chunk)) list.Add(chunk);
        return list;
    }

    [Fact]
    public async Task LoweringTheCapacityEvictsAndAReferenceToTheEvictedEntryFails()
    {
        var d = new QpackDecoderContext(4096, 4);
        d.ProcessEncoderStream([.. Capacity(4096), .. InsertLiteral("x-a", "1"), .. InsertLiteral("x-b", "2"), .. InsertLiteral("x-c", "3")]);
        Assert.Equal(3 * 36, d.TableSize);
        // 80 bytes hold two 36-byte entries: the oldest (abs 0) goes (§3.2.2, §4.3.1).
        d.ProcessEncoderStream(Capacity(80));
        Assert.Equal(80, d.TableCapacity);
        Assert.Equal(72, d.TableSize);
        var fields = await d.DecodeAsync(0, IndexedSection(4096, 3, 1), long.MaxValue, default); // abs 1
        Assert.Equal(new Http3Field("x-b", "2"), Assert.Single(fields));
        var ex = await Assert.ThrowsAsync<Http3Exception>(async () => await d.DecodeAsync(4, IndexedSection(4096, 3, 2), long.MaxValue, default)); // abs 0
        Assert.Equal(Failed, ex.ErrorCode);
        // Capacity 0 empties the table; an insert then no longer fits (§3.2.3).
        d.ProcessEncoderStream(Capacity(0));
        Assert.Equal(0, d.TableSize);
        Assert.Equal(EncoderStream, Assert.Throws<Http3Exception>(() => d.ProcessEncoderStream(InsertLiteral("x-d", "4"))).ErrorCode);
    }

    [Fact]
    public void RaisingTheCapacityAgainKeepsEntriesAndAllowsLargerOnes()
    {
        var d = new QpackDecoderContext(4096, 4);
        d.ProcessEncoderStream([.. Capacity(40), .. InsertLiteral("x-a", "1")]);
        Assert.Equal(EncoderStream, Assert.Throws<Http3Exception>(() => new QpackDecoderContext(4096, 4).ProcessEncoderStream([.. Capacity(40), .. InsertLiteral("x-a", "123456")])).ErrorCode);
        d.ProcessEncoderStream([.. Capacity(4096), .. InsertLiteral("x-a", "123456")]);
        Assert.Equal(2, d.InsertsReceived);
        Assert.Equal(36 + 41, d.TableSize);
    }

    [Fact]
    public void InsertCountIncrementsAcknowledgeEachInsertOnce()
    {
        var d = new QpackDecoderContext(4096, 4);
        d.ProcessEncoderStream([.. Capacity(4096), .. InsertLiteral("x-a", "1"), .. InsertLiteral("x-b", "2"), .. InsertLiteral("x-c", "3")]);
        // §4.4.3: one increment for the three inserts of this read.
        Assert.Equal([[0x03]], Drain(d));
        d.ProcessEncoderStream(Capacity(2048)); // no insert: nothing owed
        Assert.Empty(Drain(d));
        d.ProcessEncoderStream([.. Duplicate(0), .. InsertDynamicName(1, "9")]);
        Assert.Equal([[0x02]], Drain(d));
        Assert.Equal(new QpackDynamicTable.Entry("x-c", "3", 36), Get(d, 3));
        Assert.Equal(new QpackDynamicTable.Entry("x-c", "9", 36), Get(d, 4));
    }

    private static QpackDynamicTable.Entry Get(QpackDecoderContext d, long absolute)
    {
        var fields = d.DecodeAsync(100, IndexedSection(4096, absolute + 1, 0), long.MaxValue, default).AsTask().GetAwaiter().GetResult();
        var f = Assert.Single(fields);
        Drain(d);
        return new QpackDynamicTable.Entry(f.Name, f.Value, QpackDynamicTable.SizeOf(f.Name, f.Value));
    }

    [Fact]
    public async Task ABlockedSectionResumesWhenItsInsertArrivesAndIsAcknowledgedWithoutAnIncrement()
    {
        var d = new QpackDecoderContext(4096, 1);
        d.ProcessEncoderStream(Capacity(4096));
        var waiting = d.DecodeAsync(8, IndexedSection(4096, 1, 0), long.MaxValue, default).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, d.BlockedNow);
        d.ProcessEncoderStream(InsertLiteral("x-late", "yes"));
        var fields = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new Http3Field("x-late", "yes"), Assert.Single(fields));
        Assert.Equal(0, d.BlockedNow);
        Assert.Equal(1, d.BlockedSections);
        // The Insert Count Increment (1) goes first, then the Section Acknowledgment for stream 8 (§4.4.1);
        // the acknowledgment adds nothing new to the Known Received Count, so no second increment follows.
        Assert.Equal([[0x01], [0x88]], Drain(d));
    }

    [Fact]
    public async Task ASectionAcknowledgmentRaisesTheKnownReceivedCount()
    {
        var d = new QpackDecoderContext(4096, 4);
        d.ProcessEncoderStream([.. Capacity(4096), .. InsertLiteral("x-a", "1"), .. InsertLiteral("x-b", "2")]);
        Assert.Equal([[0x02]], Drain(d));
        await d.DecodeAsync(0, IndexedSection(4096, 2, 0), long.MaxValue, default);
        Assert.Equal([[0x80]], Drain(d));
        d.ProcessEncoderStream(InsertLiteral("x-c", "3"));
        Assert.Equal([[0x01]], Drain(d));
        // A section without dynamic references is not acknowledged (§4.4.1).
        await d.DecodeAsync(4, new byte[] { 0x00, 0x00, 0xd1 }, long.MaxValue, default);
        Assert.Empty(Drain(d));
    }

    [Fact]
    public void AnInsertMayNameTheEntryItEvicts()
    {
        // §3.2.2: the new entry's name comes from the entry its own insertion evicts.
        var d = new QpackDecoderContext(4096, 4);
        d.ProcessEncoderStream([.. Capacity(40), .. InsertLiteral("x-a", "1"), .. InsertDynamicName(0, "2")]);
        Assert.Equal(2, d.InsertsReceived);
        Assert.Equal(36, d.TableSize);
        Assert.Equal(new QpackDynamicTable.Entry("x-a", "2", 36), Get(d, 1));
        // Duplicating an entry that will be evicted by the duplicate itself works the same way.
        d.ProcessEncoderStream(Duplicate(0));
        Assert.Equal(new QpackDynamicTable.Entry("x-a", "2", 36), Get(d, 2));
    }

    [Fact]
    public void ADuplicateOfAnEvictedEntryIsEncoderStreamError()
    {
        var d = new QpackDecoderContext(4096, 4);
        d.ProcessEncoderStream([.. Capacity(80), .. InsertLiteral("x-a", "1"), .. InsertLiteral("x-b", "2"), .. InsertLiteral("x-c", "3")]);
        // Relative 2 is abs 0, evicted by the third insert.
        Assert.Equal(EncoderStream, Assert.Throws<Http3Exception>(() => d.ProcessEncoderStream(Duplicate(2))).ErrorCode);
    }

    [Fact]
    public void ATruncatedInstructionWaitsAndAppliesNothingUntilComplete()
    {
        byte[] all = [.. Capacity(4096), .. InsertLiteral("x-split", "value")];
        for (int cut = 1; cut < all.Length; cut++)
        {
            var e = new QpackDecoderContext(4096, 4);
            e.ProcessEncoderStream(all.AsSpan(0, cut));
            Assert.Equal(0, e.InsertsReceived);
            Assert.True(e.PendingEncoderStreamBytes <= cut);
            e.ProcessEncoderStream(all.AsSpan(cut));
            Assert.Equal(1, e.InsertsReceived);
            Assert.Equal(0, e.PendingEncoderStreamBytes);
        }
    }

    [Fact]
    public void RepeatedCapacityInstructionsCostNoMemory()
    {
        var d = new QpackDecoderContext(4096, 4);
        d.ProcessEncoderStream([.. Capacity(4096), .. InsertLiteral("x-a", "1")]);
        byte[] flip = [.. Capacity(4096), .. Capacity(2048)];
        var chunk = new byte[flip.Length * 10_000];
        for (int i = 0; i < 10_000; i++) flip.CopyTo(chunk, i * flip.Length);
        for (int i = 0; i < 20; i++) d.ProcessEncoderStream(chunk);
        Assert.Equal(2048, d.TableCapacity);
        Assert.Equal(36, d.TableSize);
        Assert.Equal(0, d.PendingEncoderStreamBytes);
        Drain(d);
        Assert.Equal(0, d.Instructions.PendingBytes); // capacity changes owe the encoder nothing
    }
}
