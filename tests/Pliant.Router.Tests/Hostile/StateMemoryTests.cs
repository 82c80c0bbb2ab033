using System.Buffers.Binary;
using System.Net;
using Pliant.Router.Tests.Support;
using Xunit.Abstractions;

namespace Pliant.Router.Tests.Hostile;

/// <summary>
/// The per-entry memory figures <see cref="RouterState"/> reports (and docs/routing.md states) are what an entry
/// really retains: measured over thousands of entries, retained heap per entry stays at or under the constant.
/// </summary>
[Collection(MemoryMeasurement.Name)]
public sealed class StateMemoryTests(ITestOutputHelper output)
{
    private const int Entries = 4_000;

    [Fact]
    public void AFirstFlightEntryRetainsAtMostItsStatedBytes()
    {
        var t = new Topology(51, new RouterLimits { ProbeInterval = TimeSpan.Zero, MaxFirstFlights = 2 * Entries });
        var hello = Forge.ClientHello("a.example", ["h3"]);
        var datagrams = new byte[Entries][];
        var clients = new IPEndPoint[Entries];
        for (int i = 0; i < Entries; i++)
        {
            var dcid = new byte[8];
            BinaryPrimitives.WriteInt32BigEndian(dcid.AsSpan(4), i);
            datagrams[i] = Forge.Initials(dcid, hello)[0];
            clients[i] = new IPEndPoint(IPAddress.Parse("198.18.0.1"), 1024 + i);
        }
        // One first to warm up everything that is allocated once.
        t.Router.RouteFromClient(0, Forge.Initials([1, 1, 1, 1, 1, 1, 1, 1], hello)[0], new IPEndPoint(IPAddress.Loopback, 1));
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < Entries; i++) Assert.Equal(RouteAction.Forward, t.Router.RouteFromClient(1, datagrams[i], clients[i]).Action);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        double perEntry = (after - before) / (double)Entries;
        output.WriteLine($"first-flight entry: {perEntry:0} bytes retained (stated {RouterState.FirstFlightEntryBytes})");
        Assert.Equal(Entries + 1, t.Router.State.FirstFlights);
        Assert.True(perEntry <= RouterState.FirstFlightEntryBytes, $"{perEntry:0} bytes per first-flight entry");
        GC.KeepAlive(datagrams);
        GC.KeepAlive(clients);
    }

    [Fact]
    public void ALearnedIdRetainsAtMostItsStatedBytes()
    {
        var t = new Topology(52, new RouterLimits { ProbeInterval = TimeSpan.Zero, MaxLearnedIds = 2 * Entries });
        var packets = new byte[Entries][];
        for (int i = 0; i < Entries; i++)
        {
            var scid = new byte[18];
            BinaryPrimitives.WriteInt32BigEndian(scid.AsSpan(14), i);
            packets[i] = Forge.ServerHandshakeHeader(scid, [7, 7, 7, 7]);
        }
        t.Router.OnBackendDatagram(0, t.B, Forge.ServerHandshakeHeader(Enumerable.Repeat((byte)0xff, 18).ToArray(), [1]));
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < Entries; i++) t.Router.OnBackendDatagram(1, t.B, packets[i]);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        double perEntry = (after - before) / (double)Entries;
        output.WriteLine($"learned ID: {perEntry:0} bytes retained (stated {RouterState.LearnedEntryBytes})");
        Assert.Equal(Entries + 1, t.Router.State.LearnedIds);
        Assert.True(perEntry <= RouterState.LearnedEntryBytes, $"{perEntry:0} bytes per learned ID");
        GC.KeepAlive(packets);
    }

    [Fact]
    public void LearnedIdsAreBoundedAndFloodsEvictTheOldest()
    {
        var t = new Topology(53, new RouterLimits { ProbeInterval = TimeSpan.Zero, MaxLearnedIds = 1000, MaxLearnedIdLengths = 2 });
        for (int i = 0; i < 5_000; i++)
        {
            var scid = new byte[4 + i % 5]; // five lengths: only two are tried for short headers
            BinaryPrimitives.WriteInt32BigEndian(scid, i);
            t.Router.OnBackendDatagram(1, t.B, Forge.ServerHandshakeHeader(scid, [7]));
        }
        Assert.Equal(1000, t.Router.State.LearnedIds);
        Assert.Equal(4_000, t.Router.Statistics.LearnedIdEvictions);
    }
}
