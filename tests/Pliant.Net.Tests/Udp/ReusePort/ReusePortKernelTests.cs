using System.Net;
using System.Net.Sockets;
using Pliant.Net.Udp;
using Pliant.Net.Udp.Linux;

namespace Pliant.Net.Tests.Udp.ReusePort;

/// <summary>
/// The kernel behaviour the reuseport group relies on, checked against the running kernel rather than taken from
/// memory: a classic BPF program's return value indexes the group's sockets in the order they joined, and when a
/// socket leaves, the last socket moves into its slot (<see cref="ReusePortState.RemoveAt"/>).
/// </summary>
public class ReusePortKernelTests
{
    /// <summary>ldb [0]; ret A — the datagram's first byte names the socket.</summary>
    private static readonly ReusePortGroup.SockFilter[] ByFirstByte = [new(0x30, 0, 0, 0), new(0x16, 0, 0, 0)];

    [Fact]
    public void SocketsAreIndexedInJoinOrder_AndTheLastMovesIntoAFreedSlot()
    {
        if (!OperatingSystem.IsLinux()) return;
        var sockets = ReusePortTestKit.BindGroup(5);
        try
        {
            ReusePortGroup.Attach(sockets[0].Descriptor, ByFirstByte);
            using var drivers = new FakeDrivers(sockets);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var to = new IPEndPoint(IPAddress.Loopback, sockets[0].LocalEndPoint.Port);
            int tag = 0;
            int Who(int index) => drivers.WhoGets([(byte)index, .. BitConverter.GetBytes(++tag)], d => client.SendTo(d, to));

            // Join order.
            for (int k = 0; k < 5; k++) Assert.Equal(k, Who(k));

            // Mirror the kernel's array and check it after each leave (the program stays attached to the group).
            var order = new List<int> { 0, 1, 2, 3, 4 };
            foreach (int leaving in new[] { 1, 0, 2 })
            {
                int slot = order.IndexOf(leaving);
                drivers.StopOne(leaving); // as a leaving process's drivers have stopped: the close takes effect now
                sockets[leaving].Dispose();
                order[slot] = order[^1];
                order.RemoveAt(order.Count - 1);
                for (int k = 0; k < order.Count; k++) Assert.Equal(order[k], Who(k));
            }
            Assert.Equal(new List<int> { 3, 4 }, order); // [0,1,2,3,4] -1-> [0,4,2,3] -0-> [3,4,2] -2-> [3,4]

            // A socket joining now takes the next index.
            var late = LinuxUdpSocket.Bind(to, false, false, reusePort: true);
            sockets.Add(late);
            using var lateDriver = new FakeDrivers([late]);
            Assert.Equal(0, lateDriver.WhoGets([2, .. BitConverter.GetBytes(++tag)], d => client.SendTo(d, to)));
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    [Fact]
    public void AReturnBeyondTheGroupFallsBackToTheHash_SoTheProgramMustBeRebuiltAtEveryChange()
    {
        if (!OperatingSystem.IsLinux()) return;
        var sockets = ReusePortTestKit.BindGroup(2);
        try
        {
            ReusePortGroup.Attach(sockets[0].Descriptor, ByFirstByte);
            using var drivers = new FakeDrivers(sockets);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var to = new IPEndPoint(IPAddress.Loopback, sockets[0].LocalEndPoint.Port);
            // Index 9 of a 2-socket group: the kernel picks by the 4-tuple's hash, still delivering it to one of them.
            int who = drivers.WhoGets([9, 1, 2, 3], d => client.SendTo(d, to));
            Assert.InRange(who, 0, 1);
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }
}
