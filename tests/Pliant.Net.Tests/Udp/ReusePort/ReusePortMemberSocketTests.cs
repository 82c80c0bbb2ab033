using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Pliant.Net.Udp;
using Pliant.Net.Udp.Linux;
using static Pliant.Net.Tests.Udp.ReusePort.ReusePortTestKit;

namespace Pliant.Net.Tests.Udp.ReusePort;

/// <summary>
/// The filter in front of each driver of a reuseport group: a datagram naming another live member is dropped and
/// counted (never stateless-reset by this endpoint), one naming a dead generation passes (so the endpoint resets
/// it), probes are answered and never reach QUIC, and hostile input passes through without state.
/// </summary>
public class ReusePortMemberSocketTests
{
    private static (ReusePortMemberSocket Member, Socket Client, IPEndPoint To) Open(ReusePortView view, int self)
    {
        var inner = LinuxUdpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), false, false);
        var member = new ReusePortMemberSocket(inner, Layout, self, () => view);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (member, client, inner.LocalEndPoint);
    }

    /// <summary>Sends <paramref name="datagrams"/>, then a marker, and returns what passed before the marker.</summary>
    private static List<byte[]> Passed(ReusePortMemberSocket member, Socket client, IPEndPoint to, IEnumerable<byte[]> datagrams)
    {
        foreach (var d in datagrams) client.SendTo(d, to);
        byte[] marker = Short(Cid(1, 0, 0xFFFF_FFFF), -1);
        client.SendTo(marker, to);
        var passed = new List<byte[]>();
        var batch = member.CreateReceiveBatch();
        var deadline = DateTime.UtcNow + ReusePortTestKit.Timeout;
        while (DateTime.UtcNow < deadline)
        {
            int n = member.ReceiveBatch(batch, 200);
            for (int i = 0; i < n; i++)
            {
                var d = batch.GetData(i).ToArray();
                if (d.AsSpan().SequenceEqual(marker)) return passed;
                passed.Add(d);
            }
        }
        throw new TimeoutException("the marker did not arrive");
    }

    [Fact]
    public void OtherLiveMembers_AreDropped_DeadOnesAndOwnPass()
    {
        if (!OperatingSystem.IsLinux()) return;
        var view = new ReusePortView([Member(0, 0), Member(0, 1), Member(1, 0)], NextGeneration: 2);
        var (member, client, to) = Open(view, Member(1, 0));
        using var _ = member.Inner;
        using var __ = client;
        var own = Short(Cid(1, 0), 1);
        var otherLive = Short(Cid(0, 1), 2);
        var otherLiveLong = Long(Cid(0, 0), 3);
        var dead = Short(Cid(200, 0), 4);
        var maybeJustJoined = Short(Cid(3, 0), 5); // generation 3 may have joined since the view was read
        var passed = Passed(member, client, to, [own, otherLive, otherLiveLong, dead, maybeJustJoined]);
        Assert.Equal(2, passed.Count);
        Assert.Equal(own, passed[0]);
        Assert.Equal(dead, passed[1]);
        Assert.Equal(3, member.Missteered);
    }

    [Fact]
    public void ProbesFromThisHost_AreAnsweredWithTheMember_AndNeverPassed()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (member, client, to) = Open(new ReusePortView([Member(4, 2)], 5), Member(4, 2));
        using var _ = member.Inner;
        using var __ = client;
        var probe = new byte[ReusePortSteering.ProbeLength];
        BinaryPrimitives.WriteUInt64BigEndian(probe, ReusePortSteering.ProbeMagic);
        probe[8] = 6;
        for (int i = 0; i < 16; i++) probe[12 + i] = (byte)(i + 100);
        Assert.Empty(Passed(member, client, to, [probe]));
        Assert.Equal(1, member.ProbesAnswered);
        var answer = new byte[64];
        client.ReceiveTimeout = 10_000;
        int got = client.Receive(answer);
        Assert.Equal(ReusePortSteering.ProbeLength, got);
        Assert.Equal(ReusePortSteering.AnswerMagic, BinaryPrimitives.ReadUInt64BigEndian(answer));
        Assert.Equal(6, answer[8]);
        Assert.Equal(4, answer[9]);
        Assert.Equal(2, answer[10]);
        Assert.Equal(probe.AsSpan(12, 16).ToArray(), answer.AsSpan(12, 16).ToArray());
        Assert.Equal(Environment.ProcessId, BinaryPrimitives.ReadInt32BigEndian(answer.AsSpan(28)));
        member.Dispose();
    }

    [Fact]
    public void HostileDatagrams_PassThroughWithoutStateOrCrash()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (member, client, to) = Open(new ReusePortView([Member(0, 0), Member(1, 0)], 2), Member(1, 0));
        using var _ = member.Inner;
        using var __ = client;
        var rng = new Random(11);
        var junk = new List<byte[]>();
        for (int i = 0; i < 200; i++)
        {
            var d = new byte[rng.Next(0, 80)];
            rng.NextBytes(d);
            if (d.Length == ReusePortSteering.ProbeLength) d[0] = 0xFF; // not a probe
            junk.Add(d);
        }
        // Truncated packets of our layout, and a flood naming a dead generation.
        junk.Add(Short(Cid(0, 0), 0)[..5]);
        junk.Add(Long(Cid(0, 0), 0)[..9]);
        for (int i = 0; i < 100; i++) junk.Add(Short(Cid(77, i), i));
        var passed = Passed(member, client, to, junk);
        int namingOtherLive = junk.Count(d => Layout.MemberOf(d) == Member(0, 0));
        Assert.Equal(junk.Count - namingOtherLive, passed.Count);
        Assert.Equal(namingOtherLive, member.Missteered);
    }
}
