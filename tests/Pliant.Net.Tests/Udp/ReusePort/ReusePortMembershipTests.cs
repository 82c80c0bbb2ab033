using System.Net;
using System.Net.Sockets;
using Pliant.Net.Udp;
using Pliant.Net.Udp.Linux;
using static Pliant.Net.Tests.Udp.ReusePort.ReusePortTestKit;

namespace Pliant.Net.Tests.Udp.ReusePort;

/// <summary>
/// Generations joining, draining, leaving and crashing in one reuseport group (several memberships in this test
/// process stand for several server processes: the state file tells them apart by generation): after every change
/// each live (generation, driver) gets exactly its own datagrams and new connections reach the newest live
/// generation that is not draining.
/// </summary>
public sealed class ReusePortMembershipTests : IDisposable
{
    private readonly string _runDir = Path.Combine(Path.GetTempPath(), "pliant-reuseport-test-" + Guid.NewGuid().ToString("n"));
    private readonly Socket _client = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private int _tag;

    public void Dispose()
    {
        _client.Dispose();
        try
        {
            Directory.Delete(_runDir, true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Every datagram naming a driver of <paramref name="m"/> reaches that driver's socket.</summary>
    private void AssertOwnDatagramsArrive(ReusePortMembership m, FakeDrivers d, IPEndPoint to)
    {
        for (int driver = 0; driver < m.Sockets.Count; driver++)
        {
            Assert.Equal(driver, d.WhoGets(Short(Cid(m.Generation, driver, (ulong)++_tag), _tag), x => _client.SendTo(x, to)));
            Assert.Equal(driver, d.WhoGets(Long(Cid(m.Generation, driver, (ulong)++_tag), _tag), x => _client.SendTo(x, to)));
        }
    }

    /// <summary>A client's Initial (random 8-byte DCID) reaches one of <paramref name="d"/>'s sockets.</summary>
    private void AssertNewConnectionsArrive(FakeDrivers d, IPEndPoint to, int count = 8)
    {
        var rng = new Random(_tag);
        for (int i = 0; i < count; i++)
        {
            var dcid = new byte[8];
            rng.NextBytes(dcid);
            Assert.NotEqual(-1, d.WhoGets(Long(dcid, ++_tag, type: 0, padTo: 1200), x => _client.SendTo(x, to)));
        }
    }

    [Fact]
    public void JoinDrainLeave_KeepsEveryMembersDatagramsOnItsDriver()
    {
        if (!OperatingSystem.IsLinux()) return;
        int port = FreePort();
        var to = new IPEndPoint(IPAddress.Loopback, port);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        using var a = ReusePortMembership.Join(endPoint, 2, Layout, _runDir);
        var da = new FakeDrivers(a.Sockets);
        AssertOwnDatagramsArrive(a, da, to);
        AssertNewConnectionsArrive(da, to);

        using var b = ReusePortMembership.Join(endPoint, 3, Layout, _runDir);
        using var db = new FakeDrivers(b.Sockets);
        Assert.NotEqual(a.Generation, b.Generation);
        Assert.True(a.HasSuccessor());
        Assert.False(b.HasSuccessor());
        AssertOwnDatagramsArrive(a, da, to);
        AssertOwnDatagramsArrive(b, db, to);
        int aBefore = Enumerable.Range(0, 2).Sum(da.Count);
        AssertNewConnectionsArrive(db, to, 12);
        Assert.Equal(aBefore, Enumerable.Range(0, 2).Sum(da.Count)); // none of them reached the old generation

        // SIGTERM on A: still gets its own connections' datagrams.
        a.BeginDrain();
        AssertOwnDatagramsArrive(a, da, to);
        AssertOwnDatagramsArrive(b, db, to);

        // A leaves (its drivers stopped first, as pliant serve does): B's sockets move in the kernel's array, the program follows.
        da.Stop();
        a.Leave();
        AssertOwnDatagramsArrive(b, db, to);
        AssertNewConnectionsArrive(db, to);
        var state = ReusePortState.Read(b.StatePath);
        Assert.Equal(3, state.Sockets.Count);
        Assert.False(state.Dirty);
        Assert.All(state.Sockets, e => Assert.Equal(b.Generation, e.Generation));
        Assert.Equal(0, b.Missteered);
    }

    [Fact]
    public void ACrashedGeneration_IsNoticedAndTheOrderRelearnedByProbing()
    {
        if (!OperatingSystem.IsLinux()) return;
        int port = FreePort();
        var to = new IPEndPoint(IPAddress.Loopback, port);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        using var a = ReusePortMembership.Join(endPoint, 2, Layout, _runDir);
        var da = new FakeDrivers(a.Sockets);
        using var b = ReusePortMembership.Join(endPoint, 3, Layout, _runDir);
        using var db = new FakeDrivers(b.Sockets);
        AssertOwnDatagramsArrive(a, da, to);
        AssertOwnDatagramsArrive(b, db, to);

        // A (the older, at the front of the kernel's array) crashes: its sockets close without anyone rebuilding the
        // program, and B's sockets move into the freed slots ([a0 a1 b0 b1 b2] -> [b1 b2 b0]); A's entries stay.
        da.Stop();
        a.Abandon([1, 0]);
        var state = ReusePortState.Read(a.StatePath);
        state.Sockets = [.. state.Sockets.Select(e => e.Generation == a.Generation ? e with { Start = 1 } : e)]; // its process is gone
        state.Write(a.StatePath);

        // B's watchdog notices, probes, and rebuilds the program: each of B's drivers gets its own datagrams again.
        var deadline = DateTime.UtcNow + ReusePortTestKit.Timeout;
        while (b.Recoveries == 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.True(b.Recoveries >= 1, "the watchdog did not recover the group");
        AssertOwnDatagramsArrive(b, db, to);
        AssertNewConnectionsArrive(db, to);
        // A datagram naming the crashed generation reaches B (whose endpoint resets it: that generation is not live).
        Assert.NotEqual(-1, db.WhoGets(Short(Cid(a.Generation, 1), ++_tag), x => _client.SendTo(x, to)));
        var after = ReusePortState.Read(b.StatePath);
        Assert.Equal(3, after.Sockets.Count);
        Assert.False(after.Dirty);
        Assert.Equal([b.Generation], after.Sockets.Select(e => e.Generation).Distinct());

        // A new generation joining after the crash takes the next indices, and a generation number that is not live.
        using var c = ReusePortMembership.Join(endPoint, 1, Layout, _runDir);
        using var dc = new FakeDrivers(c.Sockets);
        AssertOwnDatagramsArrive(c, dc, to);
        AssertOwnDatagramsArrive(b, db, to);
        AssertNewConnectionsArrive(dc, to);
    }

    [Fact]
    public void AGroupWithAnotherLayout_OrAnOpenRunDirectory_IsRefused()
    {
        if (!OperatingSystem.IsLinux()) return;
        int port = FreePort();
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        using var a = ReusePortMembership.Join(endPoint, 1, Layout, _runDir);
        var other = Layout with { HostPrefix = [0x07] };
        var e = Assert.Throws<InvalidOperationException>(() => ReusePortMembership.Join(endPoint, 1, other, _runDir));
        Assert.Contains("--lb-config", e.Message);

        var open = Path.Combine(_runDir, "open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
        var e2 = Assert.Throws<InvalidOperationException>(() => ReusePortMembership.Join(new IPEndPoint(IPAddress.Loopback, FreePort()), 1, Layout, open));
        Assert.Contains("writable by others", e2.Message);
    }
}
