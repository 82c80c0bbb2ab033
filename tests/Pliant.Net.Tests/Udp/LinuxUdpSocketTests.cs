using System.Net;
using System.Net.Sockets;
using Pliant.Net.Udp;
using Pliant.Net.Udp.Linux;
using Pliant.Quic.Connection;
using static Pliant.Net.Tests.Udp.UdpTestHelpers;

namespace Pliant.Net.Tests.Udp;

public class LinuxUdpSocketTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void SendAndReceive_OneDatagram()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var a = LinuxUdpSocket.Bind(Loopback);
        using var b = LinuxUdpSocket.Bind(Loopback);
        Assert.NotEqual(0, b.LocalEndPoint.Port);

        a.Send("hello"u8, b.LocalEndPoint, 0, EcnCodepoint.NotEct);

        var got = ReceiveDatagrams(b, 1);
        Assert.Single(got);
        Assert.Equal("hello"u8.ToArray(), got[0].Data);
        Assert.Equal(a.LocalEndPoint, got[0].From);
        Assert.Equal(1, a.Counters.DatagramsSent);
        Assert.Equal(1, b.Counters.DatagramsReceived);
    }

    [Fact]
    public void GsoBatch_ArrivesAsSeparateDatagrams()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var a = LinuxUdpSocket.Bind(Loopback);
        using var b = LinuxUdpSocket.Bind(Loopback);
        const int seg = 1200, count = 7, last = 500;
        var payload = SegmentedPayload(seg, count, last);

        a.Send(payload, b.LocalEndPoint, seg, EcnCodepoint.NotEct);

        var got = ReceiveDatagrams(b, count);
        AssertSegments(got, seg, count, last);
        Assert.Equal(count, a.Counters.DatagramsSent);
        if (a.GsoEnabled) Assert.Equal(1, a.Counters.SendSyscalls);
    }

    [Fact]
    public void LargeBatch_IsSplitIntoSeveralGsoSends()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var a = LinuxUdpSocket.Bind(Loopback);
        using var b = LinuxUdpSocket.Bind(Loopback);
        const int seg = 1200, count = 100, last = 17; // 118 KiB: more than one UDP payload

        a.Send(SegmentedPayload(seg, count, last), b.LocalEndPoint, seg, EcnCodepoint.NotEct);

        var got = ReceiveDatagrams(b, count);
        Assert.Equal(count, got.Count);
        for (int i = 0; i < count; i++) Assert.Equal(i == count - 1 ? last : seg, got[i].Data.Length);
        Assert.All(got, r => Assert.Equal(r.Data[0], r.Data[^1]));
        Assert.Equal(a.GsoEnabled, a.Counters.SendErrors == 0 && a.Counters.SendSyscalls < count);
    }

    [Fact]
    public void GroBatch_IsSplitIntoSegments()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var a = LinuxUdpSocket.Bind(Loopback);
        using var b = LinuxUdpSocket.Bind(Loopback);
        const int seg = 1000, count = 20, last = 1000;
        var payload = SegmentedPayload(seg, count, last);

        // Queue everything before the first receive so GRO (when on) can coalesce.
        a.Send(payload, b.LocalEndPoint, seg, EcnCodepoint.Ect0);

        var got = ReceiveDatagrams(b, count);
        AssertSegments(got, seg, count, last);
        Assert.All(got, r => Assert.Equal(EcnCodepoint.Ect0, r.Ecn));
        Assert.True(b.Counters.ReceiveSyscalls <= count);
        if (a.GsoEnabled && b.GroEnabled)
        {
            // Loopback hands a GSO super-packet to a UDP_GRO socket whole: one entry, split by us.
            Assert.Equal(seg, got[0].EntrySegmentSize);
            Assert.Equal(1, b.Counters.ReceiveSyscalls);
        }
    }

    [Theory]
    [InlineData(EcnCodepoint.Ect0)]
    [InlineData(EcnCodepoint.Ect1)]
    [InlineData(EcnCodepoint.Ce)]
    [InlineData(EcnCodepoint.NotEct)]
    public void Ecn_RoundTripsOnIPv4(EcnCodepoint ecn)
    {
        if (!OperatingSystem.IsLinux()) return;
        using var a = LinuxUdpSocket.Bind(Loopback);
        using var b = LinuxUdpSocket.Bind(Loopback);

        a.Send(new byte[100], b.LocalEndPoint, 0, ecn);

        var got = ReceiveDatagrams(b, 1);
        Assert.Equal(ecn, Assert.Single(got).Ecn);
    }

    [Fact]
    public void Ecn_RoundTripsOnIPv6()
    {
        if (!OperatingSystem.IsLinux() || !TryBind(new IPEndPoint(IPAddress.IPv6Loopback, 0), out var a)) return;
        using (a)
        using (var b = LinuxUdpSocket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0)))
        {
            a.Send(new byte[100], b.LocalEndPoint, 0, EcnCodepoint.Ect0);
            var got = Assert.Single(ReceiveDatagrams(b, 1));
            Assert.Equal(EcnCodepoint.Ect0, got.Ecn);
            Assert.Equal(IPAddress.IPv6Loopback, got.From.Address);
        }
    }

    [Fact]
    public void DualStack_ReceivesIPv4AsUnmappedAndRepliesToIt()
    {
        if (!OperatingSystem.IsLinux() || !TryBind(new IPEndPoint(IPAddress.IPv6Any, 0), out var server)) return;
        using (server)
        using (var client = LinuxUdpSocket.Bind(Loopback))
        {
            client.Send("ping"u8, new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port), 0, EcnCodepoint.Ect0);
            var got = Assert.Single(ReceiveDatagrams(server, 1));
            Assert.Equal(AddressFamily.InterNetwork, got.From.AddressFamily);
            Assert.Equal(EcnCodepoint.Ect0, got.Ecn);

            server.Send("pong"u8, got.From, 0, EcnCodepoint.Ce);
            var reply = Assert.Single(ReceiveDatagrams(client, 1));
            Assert.Equal("pong"u8.ToArray(), reply.Data);
            Assert.Equal(EcnCodepoint.Ce, reply.Ecn);
        }
    }

    [Fact]
    public void GsoFailure_TurnsGsoOffAndResendsEachDatagram()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var a = LinuxUdpSocket.Bind(Loopback);
        using var b = LinuxUdpSocket.Bind(Loopback);
        if (!a.GsoEnabled) return; // kernel without UDP_SEGMENT: nothing to fall back from
        a.InjectGsoSendErrno = () => LibC.EIO;
        const int seg = 1200, count = 4, last = 1200;

        a.Send(SegmentedPayload(seg, count, last), b.LocalEndPoint, seg, EcnCodepoint.NotEct);

        Assert.False(a.GsoEnabled);
        Assert.Equal(1, a.MaxSegments);
        AssertSegments(ReceiveDatagrams(b, count), seg, count, last);
        Assert.Equal(count, a.Counters.SendSyscalls);

        // Later batches go out one by one without trying GSO again.
        a.Send(SegmentedPayload(seg, count, last), b.LocalEndPoint, seg, EcnCodepoint.NotEct);
        AssertSegments(ReceiveDatagrams(b, count), seg, count, last);
    }

    [Fact]
    public void TransientGsoError_KeepsGso()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var a = LinuxUdpSocket.Bind(Loopback);
        using var b = LinuxUdpSocket.Bind(Loopback);
        if (!a.GsoEnabled) return;
        a.InjectGsoSendErrno = () => LibC.ENOBUFS;

        a.Send(new byte[2400], b.LocalEndPoint, 1200, EcnCodepoint.NotEct);

        Assert.True(a.GsoEnabled);
        Assert.Equal(1, a.Counters.SendErrors);
    }

    [Fact]
    public void ReceiveTimesOut_AndDisposeWakesReceiver()
    {
        if (!OperatingSystem.IsLinux()) return;
        var s = LinuxUdpSocket.Bind(Loopback);
        var batch = s.CreateReceiveBatch();
        Assert.Equal(0, s.ReceiveBatch(batch, 50));

        var receiver = Task.Factory.StartNew(() => s.ReceiveBatch(batch, -1), TaskCreationOptions.LongRunning);
        Thread.Sleep(100);
        s.Dispose();
        Assert.True(receiver.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, receiver.Result);
    }

    [Fact]
    public void LargeSocketBuffers()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var s = LinuxUdpSocket.Bind(Loopback);
        // The kernel doubles the value it was given; at least the default max must be reached.
        Assert.True(s.ReceiveBufferSize >= 1 << 20, $"SO_RCVBUF {s.ReceiveBufferSize}");
    }

    [Fact]
    public void Factory_PicksLinuxSocketOnLinux()
    {
        using var s = UdpTransport.Bind(Loopback);
        Assert.Equal(OperatingSystem.IsLinux(), s is LinuxUdpSocket);
    }

    private static bool TryBind(IPEndPoint ep, out LinuxUdpSocket socket)
    {
        try
        {
            socket = LinuxUdpSocket.Bind(ep);
            return true;
        }
        catch (SocketException)
        {
            socket = null!;
            return false;
        }
    }
}
