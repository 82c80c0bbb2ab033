using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests.Qpack;

public sealed class DynamicTableTests
{
    private const Http3ErrorCode E = Http3ErrorCode.QpackEncoderStreamError;

    [Fact]
    public void InsertsEvictOldestFirstAndKeepAbsoluteIndices()
    {
        var t = new QpackDynamicTable(200);
        t.SetCapacity(200, E);
        t.Insert("a", "1", E);          // 34
        t.Insert("bb", "22", E);        // 36
        t.Insert("ccc", "333", E);      // 38
        Assert.Equal(108, t.Size);
        t.Insert("x", new string('y', 60), E); // 93: 108 + 93 = 201 > 200 -> evict "a"
        Assert.Equal(1, t.DroppedCount);
        Assert.Equal(4, t.InsertCount);
        Assert.False(t.TryGet(0, out _));
        Assert.Equal(("bb", "22"), (t.Get(1, E).Name, t.Get(1, E).Value));
        Assert.Equal(167, t.Size);
        var ex = Assert.Throws<Http3Exception>(() => t.Get(4, E));
        Assert.Equal(E, ex.ErrorCode);
    }

    [Fact]
    public void LoweringTheCapacityEvictsAndZeroEmptiesTheTable()
    {
        var t = new QpackDynamicTable(4096);
        t.SetCapacity(4096, E);
        for (int i = 0; i < 50; i++) t.Insert("name" + i, "value" + i, E);
        t.SetCapacity(100, E);
        Assert.True(t.Size <= 100);
        Assert.Equal(50, t.InsertCount);
        t.SetCapacity(0, E);
        Assert.Equal(0, t.Count);
        Assert.Equal(50, t.DroppedCount);
    }

    [Fact]
    public void CapacityAboveTheMaximumAndEntryAboveTheCapacityAreErrors()
    {
        var t = new QpackDynamicTable(100);
        Assert.Equal(E, Assert.Throws<Http3Exception>(() => t.SetCapacity(101, E)).ErrorCode);
        t.SetCapacity(50, E);
        Assert.Equal(E, Assert.Throws<Http3Exception>(() => t.Insert("n", new string('v', 18), E)).ErrorCode); // 51 > 50
        t.Insert("n", new string('v', 17), E); // exactly 50
        Assert.Equal(50, t.Size);
    }

    [Fact]
    public void CanInsertEvictingBelowRespectsTheLimit()
    {
        var t = new QpackDynamicTable(100);
        t.SetCapacity(100, E);
        t.Insert("a", "", E); // 33, abs 0
        t.Insert("b", "", E); // 33, abs 1
        Assert.True(t.CanInsertEvictingBelow(34, 0));  // fits without evicting
        Assert.False(t.CanInsertEvictingBelow(40, 0)); // would evict abs 0, not allowed
        Assert.True(t.CanInsertEvictingBelow(40, 1));  // may evict abs 0
        Assert.False(t.CanInsertEvictingBelow(80, 1)); // needs abs 1 too
        Assert.False(t.CanInsertEvictingBelow(101, 2)); // larger than the capacity
    }

    [Fact]
    public void ManyInsertsThroughARingKeepOnlyWhatFits()
    {
        var t = new QpackDynamicTable(4096);
        t.SetCapacity(4096, E);
        for (int i = 0; i < 100_000; i++) t.Insert("k", i.ToString(System.Globalization.CultureInfo.InvariantCulture), E);
        Assert.Equal(100_000, t.InsertCount);
        Assert.True(t.Size <= 4096);
        Assert.True(t.Count <= 4096 / 32);
        Assert.Equal("99999", t.Get(99_999, E).Value);
    }
}
