using System.Buffers.Binary;
using System.Net;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Hostile;

/// <summary>
/// Floods of distinct DCIDs: junk Initials leave nothing; valid halves of ClientHellos fill the pending table only up
/// to its bounds (evicting the oldest, counted); complete ClientHellos fill the first-flight table only up to its
/// bound. Memory stays within what the limits state.
/// </summary>
[Collection(MemoryMeasurement.Name)]
public sealed class FloodTests
{
    private static readonly IPEndPoint Attacker = new(IPAddress.Parse("192.0.2.66"), 6666);

    private static byte[] Dcid(int i)
    {
        var d = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(d.AsSpan(4), i);
        d[0] = 0xee;
        return d;
    }

    [Fact]
    public void JunkInitialsWithDistinctDcidsLeaveNoState()
    {
        var t = new Topology(41);
        var rng = new Random(41);
        var template = Forge.Initials(Dcid(0), Forge.ClientHello("a.example"))[0];
        for (int i = 0; i < 5_000; i++)
        {
            var d = (byte[])template.Clone();
            Dcid(i + 1).CopyTo(d.AsSpan(6)); // another DCID: the packet no longer opens
            rng.NextBytes(d.AsSpan(40, 100));
            Assert.Equal(DropReason.JunkInitial, t.Network.Inject(d, Attacker).Reason);
        }
        Assert.Equal(5_000, t.Router.Statistics.Drops(DropReason.JunkInitial));
        Assert.Equal(new RouterState(0, 0, 0, 0), t.Router.State);
    }

    [Fact]
    public void HalfClientHellosAreBoundedByThePendingLimits()
    {
        var limits = new RouterLimits { ProbeInterval = TimeSpan.Zero, MaxPendingFlights = 200, MaxPendingBytes = 256 * 1024 };
        var t = new Topology(42, limits);
        var hello = Forge.ClientHello("a.example", padding: 3000); // three packets' worth; only the first is sent
        const int flood = 3_000;
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < flood; i++)
        {
            var first = Forge.Initials(Dcid(i), hello)[0];
            Assert.Equal(RouteAction.Held, t.Network.Inject(first, Attacker).Action);
            var s = t.Router.State;
            Assert.True(s.PendingFlights <= limits.MaxPendingFlights, $"{s.PendingFlights} pending");
            Assert.True(s.PendingBytes <= limits.MaxPendingBytes, $"{s.PendingBytes} pending bytes");
        }
        long grown = GC.GetTotalMemory(forceFullCollection: true) - before;
        // What is held: at most MaxPendingBytes of datagrams and buffers, plus the table's own slots.
        Assert.True(grown < limits.MaxPendingBytes + 256 * 1024, $"memory grew by {grown} bytes");
        long evicted = t.Router.Statistics.Drops(DropReason.FlightExpired);
        Assert.Equal(flood - t.Router.State.PendingFlights, evicted);
        Assert.Equal(0, t.Router.State.FirstFlights);

        // A legitimate client still gets through afterwards.
        var client = t.Connect(42, Options.Client(42, "a.example", padding: 2000));
        Assert.True(t.Download(client, 10_000));
        Assert.Same(t.ServerA, t.LastServedBy);

        // And everything pending expires.
        t.Router.HandleTimeout(t.Network.NowUs + (long)limits.PendingTimeout.TotalMicroseconds + 1);
        Assert.Equal(0, t.Router.State.PendingFlights);
        Assert.Equal(0, t.Router.State.PendingBytes);
    }

    [Fact]
    public void CompleteClientHellosAreBoundedByTheFirstFlightLimit()
    {
        var limits = new RouterLimits { ProbeInterval = TimeSpan.Zero, MaxFirstFlights = 500 };
        var t = new Topology(43, limits);
        var hello = Forge.ClientHello("a.example", ["h3"]);
        for (int i = 0; i < 2_000; i++)
        {
            var r = t.Network.Inject(Forge.Initials(Dcid(i), hello)[0], new IPEndPoint(Attacker.Address, 1000 + i % 50));
            Assert.Same(t.A, r.Backend);
        }
        Assert.Equal(500, t.Router.State.FirstFlights);
        Assert.Equal(1_500, t.Router.Statistics.FirstFlightEvictions);
        t.Router.HandleTimeout(t.Network.NowUs + (long)limits.FirstFlightTimeout.TotalMicroseconds);
        Assert.Equal(0, t.Router.State.FirstFlights);
    }

    [Fact]
    public void AFlightCannotHoldMoreThanItsShareOfDatagrams()
    {
        var limits = new RouterLimits { ProbeInterval = TimeSpan.Zero, MaxHeldDatagramsPerFlight = 4 };
        var t = new Topology(44, limits);
        // Fragments far into the stream never complete the hello; the same flight keeps sending.
        var hello = Forge.ClientHello("a.example", padding: 9000);
        var packets = Forge.Initials(Dcid(7), hello, perPacket: 1000);
        for (int i = 1; i < packets.Count; i++) t.Network.Inject(packets[i], Attacker);
        Assert.Equal(packets.Count - 1 - 4, t.Router.Statistics.Drops(DropReason.FlightFull));
        Assert.Equal(1, t.Router.State.PendingFlights);
    }

    [Fact]
    public void AClientHelloLargerThanTheLimitIsDroppedWhole()
    {
        var limits = new RouterLimits { ProbeInterval = TimeSpan.Zero, MaxClientHelloBytes = 4096 };
        var t = new Topology(45, limits);
        var packets = Forge.Initials(Dcid(8), Forge.ClientHello("a.example", padding: 6000));
        var r = t.Network.Inject(packets[0], Attacker);
        Assert.Equal(DropReason.ClientHelloTooLarge, r.Reason);
        Assert.Equal(new RouterState(0, 0, 0, 0), t.Router.State);
    }

    [Fact]
    public void TooManyFragmentsMakeTheFlightMalformed()
    {
        var t = new Topology(46, new RouterLimits { ProbeInterval = TimeSpan.Zero, MaxHeldDatagramsPerFlight = 200 });
        var hello = Forge.ClientHello("a.example", padding: 12000);
        // 80 one-byte fragments with gaps between them: more separate ranges than the reassembly keeps.
        int sent = 0;
        RouteResult r = default;
        for (; sent < 80 && r.Action != RouteAction.Drop; sent++)
        {
            var frame = new byte[32];
            int n = Pliant.Quic.Wire.CryptoFrame.Write(frame, (ulong)(100 + sent * 10), hello.AsSpan(100 + sent * 10, 1));
            r = t.Network.Inject(Forge.Initial(Dcid(9), frame.AsSpan(0, n), packetNumber: sent), Attacker);
        }
        Assert.Equal(DropReason.BadClientHello, r.Reason);
        Assert.Equal(Pliant.Router.FirstFlight.HelloAssembly.MaxRanges + 1, sent);
        // The flight and everything it held are gone, counted under the same reason.
        Assert.Equal(sent, t.Router.Statistics.Drops(DropReason.BadClientHello));
        Assert.Equal(new RouterState(0, 0, 0, 0), t.Router.State);
    }
}
