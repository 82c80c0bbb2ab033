using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

public class RangeSetTests
{
    [Fact]
    public void AddMergesAndRemoveSplits()
    {
        var r = new RangeSet();
        r.Add(10, 20);
        r.Add(30, 40);
        r.Add(20, 30);
        Assert.Equal(1, r.Count);
        Assert.Equal((10UL, 40UL), r.First);
        r.Remove(15, 25);
        Assert.Equal(2, r.Count);
        Assert.Equal([(10UL, 15UL), (25UL, 40UL)], r.ToList());
        Assert.True(r.Contains(26, 40));
        Assert.False(r.Contains(14, 16));
        Assert.True(r.TryGetFirstGap(10, 40, out var gs, out var ge));
        Assert.Equal((15UL, 25UL), (gs, ge));
        Assert.False(r.TryGetFirstGap(30, 40, out _, out _));
    }

    [Fact]
    public void RandomAgainstBitmap()
    {
        var rnd = new Random(7);
        var r = new RangeSet();
        var bits = new bool[500];
        for (int n = 0; n < 2000; n++)
        {
            int a = rnd.Next(500), b = Math.Min(500, a + rnd.Next(1, 40));
            bool add = rnd.Next(3) != 0;
            if (add) r.Add((ulong)a, (ulong)b); else r.Remove((ulong)a, (ulong)b);
            for (int k = a; k < b; k++) bits[k] = add;
        }
        var fromSet = new bool[500];
        ulong prevEnd = 0;
        int i = 0;
        foreach (var (s, e) in r)
        {
            Assert.True(s < e);
            Assert.True(i == 0 || s > prevEnd); // disjoint and not adjacent
            prevEnd = e;
            i++;
            for (ulong k = s; k < e; k++) fromSet[k] = true;
        }
        Assert.Equal(bits, fromSet);
    }
}
