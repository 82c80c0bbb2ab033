using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Pliant.Net.Udp.Linux;

/// <summary>
/// N UDP sockets on one address and port (SO_REUSEPORT), one per endpoint driver, with a classic BPF
/// program (SO_ATTACH_REUSEPORT_CBPF) that picks the socket from the packet's Destination Connection ID:
/// socket = DCID[0] mod N. A server driver issues only connection IDs whose first byte names it
/// (<see cref="Internal.DriverConnectionIds"/>), and a client's Initials carry the same random DCID until it
/// learns one of those, so every datagram of a connection reaches the same driver — across client
/// address changes too, which a hash of the 4-tuple would not give (issue 17).
/// </summary>
internal static unsafe class ReusePortGroup
{
    /// <summary>Most sockets a group may have (the DCID byte picks among them).</summary>
    public const int MaxSockets = 64;

    /// <summary>Binds <paramref name="count"/> sockets to <paramref name="endPoint"/> (port 0: the first one's port) and attaches the steering program.</summary>
    /// <exception cref="SocketException">A bind or the program's attachment failed.</exception>
    public static LinuxUdpSocket[] Bind(IPEndPoint endPoint, int count)
    {
        if (count is < 2 or > MaxSockets) throw new ArgumentOutOfRangeException(nameof(count), $"a group has 2 to {MaxSockets} sockets");
        var sockets = new List<LinuxUdpSocket>(count);
        try
        {
            var first = LinuxUdpSocket.Bind(endPoint, true, true, reusePort: true);
            sockets.Add(first);
            // The group's sockets are numbered in the order they join it: the program returns that number.
            var bound = new IPEndPoint(endPoint.Address, first.LocalEndPoint.Port);
            for (int i = 1; i < count; i++) sockets.Add(LinuxUdpSocket.Bind(bound, true, true, reusePort: true));
            Attach(first.Descriptor, count);
            return [.. sockets];
        }
        catch
        {
            foreach (var s in sockets) s.Dispose();
            throw;
        }
    }

    /// <summary>The classic BPF steering program for <paramref name="count"/> sockets.</summary>
    internal static SockFilter[] Program(int count) =>
    [
        // A = first byte; the header form bit (RFC 9000 §17.2, §17.3) says where the DCID starts.
        new(0x30, 0, 0, 0),             // ldb [0]
        new(0x45, 0, 2, 0x80),          // jset #0x80 ? next : +2
        new(0x30, 0, 0, 6),             // ldb [6]   long header: flags, version (4), DCID length, DCID
        new(0x05, 0, 0, 1),             // ja +1
        new(0x30, 0, 0, 1),             // ldb [1]   short header: flags, DCID
        new(0x94, 0, 0, (uint)count),   // mod #count
        new(0x16, 0, 0, 0),             // ret A
        // A packet too short for a load ends the program with 0: the kernel then hashes the 4-tuple.
    ];

    private static void Attach(int fd, int count) => Attach(fd, Program(count));

    /// <summary>Attaches <paramref name="program"/> to the reuseport group of socket <paramref name="fd"/> (replacing the group's program).</summary>
    /// <exception cref="SocketException">The kernel refused it.</exception>
    internal static void Attach(int fd, SockFilter[] program)
    {
        fixed (SockFilter* filter = program)
        {
            var fprog = new SockFprog { Length = (ushort)program.Length, Filter = filter };
            if (Udp.Linux.LibC.SetSockOpt(fd, Udp.Linux.LibC.SOL_SOCKET, Udp.Linux.LibC.SO_ATTACH_REUSEPORT_CBPF, &fprog, (uint)sizeof(SockFprog)) != 0)
                throw new SocketException(Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>struct sock_filter.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal readonly record struct SockFilter(ushort Code, byte Jt, byte Jf, uint K);

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog
    {
        public ushort Length;
        public SockFilter* Filter;
    }
}
