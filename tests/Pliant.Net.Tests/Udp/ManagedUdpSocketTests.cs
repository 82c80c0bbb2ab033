using System.Net;
using Pliant.Net.Udp;
using Pliant.Net.Udp.Linux;
using Pliant.Quic.Connection;
using static Pliant.Net.Tests.Udp.UdpTestHelpers;

namespace Pliant.Net.Tests.Udp;

public class ManagedUdpSocketTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void SendAndReceive()
    {
        using var a = new ManagedUdpSocket(Loopback);
        using var b = new ManagedUdpSocket(Loopback);

        a.Send("hello"u8, b.LocalEndPoint, 0, EcnCodepoint.NotEct);

        var got = Assert.Single(ReceiveDatagrams(b, 1));
        Assert.Equal("hello"u8.ToArray(), got.Data);
        Assert.Equal(a.LocalEndPoint, got.From);
        Assert.False(a.GsoEnabled);
    }

    [Fact]
    public void SegmentedSend_IsSplitIntoDatagrams()
    {
        using var a = new ManagedUdpSocket(Loopback);
        using var b = new ManagedUdpSocket(Loopback);
        const int seg = 1200, count = 5, last = 300;

        a.Send(SegmentedPayload(seg, count, last), b.LocalEndPoint, seg, EcnCodepoint.NotEct);

        AssertSegments(ReceiveDatagrams(b, count), seg, count, last);
        Assert.Equal(count, a.Counters.SendSyscalls);
    }

    [Fact]
    public void EcnSetBySocketOption_IsSeenByLinuxReceiver()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var a = new ManagedUdpSocket(Loopback);
        using var b = LinuxUdpSocket.Bind(Loopback);

        a.Send(new byte[50], b.LocalEndPoint, 0, EcnCodepoint.Ect0);

        Assert.Equal(EcnCodepoint.Ect0, Assert.Single(ReceiveDatagrams(b, 1)).Ecn);
    }

    [Fact]
    public void ReceiveTimesOut()
    {
        using var a = new ManagedUdpSocket(Loopback);
        Assert.Equal(0, a.ReceiveBatch(a.CreateReceiveBatch(), 50));
    }
}
