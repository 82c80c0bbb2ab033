using System.Runtime.InteropServices;

namespace Pliant.Net.Udp.Linux;

/// <summary>The few libc calls and constants the Linux socket needs (x86-64 / arm64 LP64 layouts).</summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int AF_INET = 2, AF_INET6 = 10;
    public const int SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    public const int IPPROTO_IP = 0, IPPROTO_IPV6 = 41, IPPROTO_UDP = 17;
    public const int SOL_SOCKET = 1, SOL_UDP = 17;
    public const int SO_SNDBUF = 7, SO_RCVBUF = 8, SO_RCVTIMEO = 20, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
    public const int SO_REUSEPORT = 15, SO_ATTACH_REUSEPORT_CBPF = 51;
    public const int IP_TOS = 1, IP_MTU_DISCOVER = 10, IP_RECVTOS = 13, IP_PMTUDISC_PROBE = 3;
    public const int IPV6_MTU_DISCOVER = 23, IPV6_V6ONLY = 26, IPV6_RECVTCLASS = 66, IPV6_TCLASS = 67, IPV6_PMTUDISC_PROBE = 3;
    public const int UDP_SEGMENT = 103, UDP_GRO = 104;
    public const int MSG_WAITFORONE = 0x10000, MSG_DONTWAIT = 0x40;
    public const short POLLIN = 0x1;
    public const int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public const int SHUT_RDWR = 2;

    public const int EINTR = 4, EIO = 5, EAGAIN = 11, EINVAL = 22, EMSGSIZE = 90, ENOBUFS = 105, EOPNOTSUPP = 95, ENOPROTOOPT = 92;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    /// <summary>Room for sockaddr_in (16) or sockaddr_in6 (28).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 32)]
    public struct SockAddrStorage
    {
        public ushort Family;
    }

    public static int CmsgAlign(int length) => (length + 7) & ~7;

    public static int CmsgSpace(int dataLength) => sizeof(CMsgHdr) + CmsgAlign(dataLength);

    public static int CmsgLen(int dataLength) => sizeof(CMsgHdr) + dataLength;

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* address, uint length);

    [LibraryImport(Lib, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, void* address, uint* length);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(Lib, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Lib, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    public const int PR_SET_TIMERSLACK = 29;

    /// <summary>struct timespec (LP64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Lib, EntryPoint = "ppoll", SetLastError = true)]
    public static partial int PPoll(PollFd* fds, nuint count, TimeSpec* timeout, void* sigmask);

    public const int CLOCK_THREAD_CPUTIME_ID = 3;

    [LibraryImport(Lib, EntryPoint = "clock_gettime")]
    public static partial int ClockGetTime(int clock, TimeSpec* ts);

    /// <summary>CPU time of the calling thread in µs (0 if the clock cannot be read).</summary>
    public static long ThreadCpuUs()
    {
        TimeSpec ts;
        return ClockGetTime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0 ? ts.Seconds * 1_000_000 + ts.Nanoseconds / 1000 : 0;
    }

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "nanosleep", SetLastError = true)]
    public static partial int NanoSleep(TimeSpec* request, TimeSpec* remaining);

    [LibraryImport(Lib, EntryPoint = "prctl", SetLastError = true)]
    public static partial int PrCtl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    public const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
    public const int LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    public const int EWOULDBLOCK = EAGAIN;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    public static int SetInt(int fd, int level, int name, int value) => SetSockOpt(fd, level, name, &value, sizeof(int));

    public static int GetInt(int fd, int level, int name)
    {
        int value = 0;
        uint len = sizeof(int);
        return GetSockOpt(fd, level, name, &value, &len) == 0 ? value : -1;
    }
}
