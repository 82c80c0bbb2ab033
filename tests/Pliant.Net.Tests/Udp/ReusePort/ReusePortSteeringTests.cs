using System.Net;
using System.Net.Sockets;
using Pliant.Net.Udp;
using Pliant.Net.Udp.Linux;
using static Pliant.Net.Tests.Udp.ReusePort.ReusePortTestKit;

namespace Pliant.Net.Tests.Udp.ReusePort;

/// <summary>
/// The steering program in the kernel: a group of four sockets — generation 0 drivers 0 and 1, generation 1 drivers
/// 0 and 1 (newest) — gets datagrams crafted as QUIC packets; each must reach the socket the program promises, and
/// <see cref="SteeringLayout.MemberOf"/> (the C# twin used by the sockets' filter) must agree.
/// </summary>
public class ReusePortSteeringTests
{
    private static readonly int[] Members = [Member(0, 0), Member(0, 1), Member(1, 0), Member(1, 1)];

    private sealed class Group : IDisposable
    {
        public readonly List<LinuxUdpSocket> Sockets = BindGroup(4);
        public readonly FakeDrivers Drivers;
        public readonly Socket Client = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        public readonly IPEndPoint To;
        private int _tag;

        public Group(IReadOnlyList<int> members, IReadOnlyList<int> newest)
        {
            ReusePortGroup.Attach(Sockets[0].Descriptor, ReusePortSteering.Program(Layout, members, newest));
            Drivers = new FakeDrivers(Sockets);
            To = new IPEndPoint(IPAddress.Loopback, Sockets[0].LocalEndPoint.Port);
        }

        public int NextTag() => ++_tag;

        public int Who(byte[] datagram) => Drivers.WhoGets(datagram, d => Client.SendTo(d, To));

        public void Dispose()
        {
            Drivers.Dispose();
            Client.Dispose();
            foreach (var s in Sockets) s.Dispose();
        }
    }

    [Fact]
    public void RoutableIdsReachTheirMember_InShortAndLongHeaders()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var g = new Group(Members, [2, 3]);
        for (int k = 0; k < 4; k++)
        {
            var cid = Cid(Members[k] >> 8, Members[k] & 0xFF, (ulong)k * 77);
            var shortPacket = Short(cid, g.NextTag());
            Assert.Equal(Members[k], Layout.MemberOf(shortPacket));
            Assert.Equal(k, g.Who(shortPacket));
            var handshake = Long(cid, g.NextTag(), type: 2);
            Assert.Equal(Members[k], Layout.MemberOf(handshake));
            Assert.Equal(k, g.Who(handshake));
            // An Initial to a server-chosen ID (after Retry or the server's first Initial, RFC 9000 §7.2) too.
            Assert.Equal(k, g.Who(Long(cid, g.NextTag(), type: 0, padTo: 1200)));
        }
    }

    [Fact]
    public void NewConnectionsGoToTheNewestGeneration_TheSameSocketForTheSameClientId()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var g = new Group(Members, [2, 3]);
        var rng = new Random(17);
        var seen = new HashSet<int>();
        for (int i = 0; i < 24; i++)
        {
            var dcid = new byte[8];
            rng.NextBytes(dcid);
            Assert.Equal(-1, Layout.MemberOf(Long(dcid, 0, type: 0, padTo: 1200)));
            int first = g.Who(Long(dcid, g.NextTag(), type: 0, padTo: 1200));
            Assert.Contains(first, new[] { 2, 3 });
            // A retransmitted Initial (same client-chosen DCID) reaches the same socket.
            Assert.Equal(first, g.Who(Long(dcid, g.NextTag(), type: 0, padTo: 1200)));
            seen.Add(first);
        }
        Assert.Equal(2, seen.Count); // both newest drivers take new connections
    }

    [Fact]
    public void IdsOfNoLiveMember_JunkAndTruncatedDatagrams_GoToTheNewest()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var g = new Group(Members, [3]);
        // Generation 7 is gone; another host prefix; another config (the first octet); an unroutable ID (config 7).
        Assert.Equal(3, g.Who(Short(Cid(7, 0), g.NextTag())));
        var otherPrefix = Cid(0, 0);
        otherPrefix[1] = 0x99;
        Assert.Equal(3, g.Who(Short(otherPrefix, g.NextTag())));
        var otherConfig = Cid(0, 1);
        otherConfig[0] = 0x2b;
        Assert.Equal(3, g.Who(Short(otherConfig, g.NextTag())));
        // Truncated: a short header too short for a whole ID, a long header cut inside its DCID, one byte, a long header of 6 bytes.
        Assert.Equal(3, g.Who([.. Short(Cid(0, 0), 0)[..8]]));
        Assert.Equal(3, g.Who([.. Long(Cid(0, 1), 0)[..10]]));
        Assert.Equal(3, g.Who([0x40]));
        Assert.Equal(3, g.Who([0xC0, 0, 0, 0, 1, 12]));
        // A DCID length byte that does not match the layout's.
        var wrongLength = Long(Cid(0, 0), g.NextTag());
        wrongLength[5] = 11;
        Assert.Equal(3, g.Who(wrongLength));
        // Random junk of every length 2..64 (seeded): never an old generation's socket unless it names one.
        var rng = new Random(5);
        for (int len = 2; len <= 64; len++)
        {
            var junk = new byte[len];
            rng.NextBytes(junk);
            int expected = Layout.MemberOf(junk) is int m && m >= 0 && Array.IndexOf(Members, m) is int k && k >= 0 ? k : 3;
            if (len == ReusePortSteering.ProbeLength) continue; // probe-length junk: covered below
            Assert.Equal(expected, g.Who(junk));
        }
    }

    [Fact]
    public void ProbesReachTheSocketTheyName()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var g = new Group(Members, [2, 3]);
        for (int k = 0; k < 4; k++)
        {
            var probe = new byte[ReusePortSteering.ProbeLength];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(probe, ReusePortSteering.ProbeMagic);
            probe[8] = (byte)k;
            probe[12] = (byte)g.NextTag();
            Assert.Equal(k, g.Who(probe));
        }
    }

    [Fact]
    public void ProgramForManySockets_StaysWithinTheKernelsLimits()
    {
        // 4 generations x 64 drivers: the kernel accepts it (fewer than 4,096 instructions, jumps within range).
        if (!OperatingSystem.IsLinux()) return;
        var members = Enumerable.Range(0, 256).Select(i => Member(i / 64, i % 64)).ToArray();
        var program = ReusePortSteering.Program(Layout, members, [.. Enumerable.Range(192, 64)]);
        Assert.InRange(program.Length, 1, 4096);
        var sockets = BindGroup(2);
        try
        {
            ReusePortGroup.Attach(sockets[0].Descriptor, program);
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }
}
