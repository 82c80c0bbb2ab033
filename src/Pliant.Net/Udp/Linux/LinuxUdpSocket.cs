using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Pliant.Quic.Connection;

namespace Pliant.Net.Udp.Linux;

/// <summary>
/// UDP over libc: <c>sendmsg</c> with UDP_SEGMENT (GSO) and IP_TOS/IPV6_TCLASS cmsgs, <c>recvmmsg</c>
/// with UDP_GRO and IP_RECVTOS/IPV6_RECVTCLASS; <c>ppoll</c> on the socket and an <c>eventfd</c> for
/// <see cref="Wait"/>/<see cref="Interrupt"/> (the driver's one thread sleeps there, to the microsecond).
/// Sends allocate nothing (stack sockaddr, iovec and cmsg); receives reuse one set of native headers.
/// </summary>
internal sealed unsafe class LinuxUdpSocket : IUdpTransport
{
    private const int ReceiveControlSize = 64; // UDP_GRO int + TOS/TCLASS int, with headers
    private const int SocketBufferSize = 4 << 20;

    private readonly SocketFd _fd;
    private readonly SocketFd _wakeFd; // eventfd: Interrupt() writes, Wait() polls and drains
    private readonly int _family;
    private readonly GsoState _gso;
    private readonly bool _gro;
    private readonly EndPointCache _endPoints = new();
    private readonly Lock _receiveLock = new();
    private int _receiveTimeoutMs = -1;
    private MMsgHdrBlock? _receiveHeaders;

    private LinuxUdpSocket(SocketFd fd, SocketFd wakeFd, int family, bool gso, bool gro, IPEndPoint local)
    {
        _fd = fd;
        _wakeFd = wakeFd;
        _family = family;
        _gso = new GsoState(gso);
        _gro = gro;
        LocalEndPoint = local;
    }

    public IPEndPoint LocalEndPoint { get; }

    public bool GsoEnabled => _gso.Enabled;

    /// <summary>True when the kernel coalesces received datagrams (UDP_GRO).</summary>
    public bool GroEnabled => _gro;

    public int MaxSegments => _gso.Enabled ? GsoState.KernelMaxSegments : 1;

    public UdpCounters Counters { get; } = new();

    /// <summary>Test hook: when set, a GSO send fails with this errno instead of reaching the kernel.</summary>
    internal Func<int>? InjectGsoSendErrno { get; set; }

    /// <summary>Opens and binds a socket; throws <see cref="SocketException"/> when that fails.</summary>
    public static LinuxUdpSocket Bind(IPEndPoint endPoint, bool enableGso = true, bool enableGro = true) =>
        Bind(endPoint, enableGso, enableGro, reusePort: false);

    /// <summary>
    /// As <see cref="Bind(IPEndPoint, bool, bool)"/>; with <paramref name="reusePort"/> the socket joins the
    /// SO_REUSEPORT group of its address (<see cref="ReusePortGroup"/>).
    /// </summary>
    internal static LinuxUdpSocket Bind(IPEndPoint endPoint, bool enableGso, bool enableGro, bool reusePort)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("LinuxUdpSocket needs Linux.");
        int family = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? LibC.AF_INET6 : LibC.AF_INET;
        int fd = LibC.Socket(family, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, LibC.IPPROTO_UDP);
        if (fd < 0) throw LastError();
        var handle = new SocketFd(fd);
        try
        {
            Configure(fd, family, endPoint);
            if (reusePort && LibC.SetInt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEPORT, 1) != 0) throw LastError();
            LibC.SockAddrStorage addr;
            int len = SockAddr.Write(endPoint, family, &addr);
            if (LibC.Bind(fd, &addr, (uint)len) != 0) throw LastError();
            uint nameLen = (uint)sizeof(LibC.SockAddrStorage);
            if (LibC.GetSockName(fd, &addr, &nameLen) != 0) throw LastError();
            var local = SockAddr.Read(&addr, new EndPointCache(1)) ?? endPoint;
            if (family == LibC.AF_INET6 && endPoint.AddressFamily == AddressFamily.InterNetworkV6 && local.AddressFamily == AddressFamily.InterNetwork)
                local = new IPEndPoint(local.Address.MapToIPv6(), local.Port); // bound to a mapped address

            // GSO: probe with setsockopt(UDP_SEGMENT, 0); the per-send cmsg sets the real size.
            bool gso = enableGso && LibC.SetInt(fd, LibC.SOL_UDP, LibC.UDP_SEGMENT, 0) == 0;
            bool gro = enableGro && LibC.SetInt(fd, LibC.SOL_UDP, LibC.UDP_GRO, 1) == 0;
            int wake = LibC.EventFd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
            if (wake < 0) throw LastError();
            return new LinuxUdpSocket(handle, new SocketFd(wake), family, gso, gro, local);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void Configure(int fd, int family, IPEndPoint endPoint)
    {
        // Large buffers; as root SO_*BUFFORCE goes past net.core.[rw]mem_max. Failure is not fatal.
        if (LibC.SetInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, SocketBufferSize) != 0)
            LibC.SetInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, SocketBufferSize);
        if (LibC.SetInt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, SocketBufferSize) != 0)
            LibC.SetInt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, SocketBufferSize);

        if (family == LibC.AF_INET6)
        {
            // Dual-stack when bound to [::].
            bool any = endPoint.Address.Equals(IPAddress.IPv6Any);
            LibC.SetInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, any ? 0 : 1);
            LibC.SetInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_RECVTCLASS, 1);
            // RFC 9000 §14: set DF; PROBE sets DF without trusting the kernel's PMTU cache.
            LibC.SetInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_MTU_DISCOVER, LibC.IPV6_PMTUDISC_PROBE);
            if (any)
            {
                LibC.SetInt(fd, LibC.IPPROTO_IP, LibC.IP_RECVTOS, 1);
                LibC.SetInt(fd, LibC.IPPROTO_IP, LibC.IP_MTU_DISCOVER, LibC.IP_PMTUDISC_PROBE);
            }
        }
        else
        {
            LibC.SetInt(fd, LibC.IPPROTO_IP, LibC.IP_RECVTOS, 1);
            LibC.SetInt(fd, LibC.IPPROTO_IP, LibC.IP_MTU_DISCOVER, LibC.IP_PMTUDISC_PROBE);
        }
    }

    /// <summary>The kernel's receive buffer size (for diagnostics and tests).</summary>
    /// <summary>The socket's file descriptor (for socket options set once, such as a reuseport program).</summary>
    internal int Descriptor => _fd.Fd;

    public int ReceiveBufferSize => LibC.GetInt(_fd.Fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF);

    public void Send(ReadOnlySpan<byte> data, IPEndPoint destination, int segmentSize, EcnCodepoint ecn)
    {
        if (_family == LibC.AF_INET && destination.AddressFamily == AddressFamily.InterNetworkV6 && !destination.Address.IsIPv4MappedToIPv6)
        {
            Counters.OnSendError(); // an IPv6 peer cannot be reached from an IPv4 socket: drop
            return;
        }
        if (segmentSize <= 0 || segmentSize >= data.Length)
        {
            SendOne(data, destination, 0, ecn);
            return;
        }

        if (_gso.Enabled)
        {
            // At most 64 segments (UDP_MAX_SEGMENTS) and within the largest UDP payload per call.
            int perCall = Math.Max(1, Math.Min(GsoState.KernelMaxSegments, GsoState.MaxBatchBytes / segmentSize)) * segmentSize;
            while (data.Length > 0)
            {
                var chunk = data[..Math.Min(perCall, data.Length)];
                int errno = SendOne(chunk, destination, chunk.Length > segmentSize ? segmentSize : 0, ecn);
                if (errno != 0 && chunk.Length > segmentSize && _gso.OnGsoSendError(errno))
                {
                    SendEach(chunk, destination, segmentSize, ecn);
                }
                data = data[chunk.Length..];
            }
            return;
        }

        SendEach(data, destination, segmentSize, ecn);
    }

    private void SendEach(ReadOnlySpan<byte> data, IPEndPoint destination, int segmentSize, EcnCodepoint ecn)
    {
        while (data.Length > 0)
        {
            int n = Math.Min(segmentSize, data.Length);
            SendOne(data[..n], destination, 0, ecn);
            data = data[n..];
        }
    }

    /// <summary>One sendmsg; returns 0 or the errno (transient errors count as a drop).</summary>
    private int SendOne(ReadOnlySpan<byte> data, IPEndPoint destination, int segmentSize, EcnCodepoint ecn)
    {
        if (segmentSize > 0 && InjectGsoSendErrno is { } inject)
        {
            int injected = inject();
            if (injected != 0)
            {
                Counters.OnSendError();
                return injected;
            }
        }

        LibC.SockAddrStorage addr;
        int addrLen = SockAddr.Write(destination, _family, &addr);
        byte* control = stackalloc byte[LibC.CmsgSpace(sizeof(int)) + LibC.CmsgSpace(sizeof(ushort))];
        int controlLen = 0;

        // ECN in the IP header: IP_TOS for IPv4 destinations (also on a dual-stack socket), else IPV6_TCLASS.
        bool v4 = _family == LibC.AF_INET || destination.AddressFamily == AddressFamily.InterNetwork ||
                  destination.Address.IsIPv4MappedToIPv6;
        var c = (LibC.CMsgHdr*)control;
        c->Length = (nuint)LibC.CmsgLen(sizeof(int));
        c->Level = v4 ? LibC.IPPROTO_IP : LibC.IPPROTO_IPV6;
        c->Type = v4 ? LibC.IP_TOS : LibC.IPV6_TCLASS;
        *(int*)(c + 1) = (int)ecn;
        controlLen += LibC.CmsgSpace(sizeof(int));

        if (segmentSize > 0)
        {
            c = (LibC.CMsgHdr*)(control + controlLen);
            c->Length = (nuint)LibC.CmsgLen(sizeof(ushort));
            c->Level = LibC.SOL_UDP;
            c->Type = LibC.UDP_SEGMENT;
            *(ushort*)(c + 1) = (ushort)segmentSize;
            controlLen += LibC.CmsgSpace(sizeof(ushort));
        }

        fixed (byte* p = data)
        {
            LibC.IoVec iov;
            iov.Base = p;
            iov.Length = (nuint)data.Length;
            LibC.MsgHdr msg = default;
            msg.Name = &addr;
            msg.NameLength = (uint)addrLen;
            msg.Iov = &iov;
            msg.IovLength = 1;
            msg.Control = control;
            msg.ControlLength = (nuint)controlLen;

            bool added = false;
            try
            {
                _fd.DangerousAddRef(ref added);
                while (true)
                {
                    nint r = LibC.SendMsg(_fd.Fd, &msg, 0);
                    if (r >= 0)
                    {
                        Counters.OnSend(segmentSize > 0 ? (data.Length + segmentSize - 1) / segmentSize : 1, data.Length);
                        return 0;
                    }
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR) continue;
                    Counters.OnSendError();
                    return errno;
                }
            }
            catch (ObjectDisposedException)
            {
                return LibC.EIO;
            }
            finally
            {
                if (added) _fd.DangerousRelease();
            }
        }
    }

    public UdpReceiveBatch CreateReceiveBatch() =>
        _gro ? UdpBufferPool.RentBatch(capacity: 16, slotSize: 65536) : UdpBufferPool.RentBatch(capacity: 64, slotSize: 2048);

    public int ReceiveBatch(UdpReceiveBatch batch, int timeoutMs)
    {
        lock (_receiveLock)
        {
            batch.Count = 0;
            if (_fd.IsClosed) return 0;
            // 0: take what is queued without blocking (the driver waited in Wait first); else block
            // (SO_RCVTIMEO) until the first datagram, then take what is queued.
            int flags = timeoutMs == 0 ? LibC.MSG_DONTWAIT : LibC.MSG_WAITFORONE;
            if (timeoutMs != 0) SetReceiveTimeout(timeoutMs);
            var headers = _receiveHeaders;
            if (headers is null || headers.Capacity < batch.Capacity)
            {
                headers?.Dispose();
                _receiveHeaders = headers = new MMsgHdrBlock(batch.Capacity);
            }

            int count = batch.Capacity;
            fixed (byte* buffer = batch.Buffer)
            {
                for (int i = 0; i < count; i++)
                {
                    ref var m = ref headers.Messages[i];
                    headers.Iovs[i].Base = buffer + i * batch.SlotSize;
                    headers.Iovs[i].Length = (nuint)batch.SlotSize;
                    m.Header.Name = headers.Names + i;
                    m.Header.NameLength = (uint)sizeof(LibC.SockAddrStorage);
                    m.Header.Iov = headers.Iovs + i;
                    m.Header.IovLength = 1;
                    m.Header.Control = headers.Controls + i * ReceiveControlSize;
                    m.Header.ControlLength = ReceiveControlSize;
                    m.Header.Flags = 0;
                    m.Length = 0;
                }

                int n;
                bool added = false;
                try
                {
                    _fd.DangerousAddRef(ref added);
                    do
                    {
                        n = LibC.RecvMMsg(_fd.Fd, headers.Messages, (uint)count, flags, null);
                    }
                    while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
                }
                catch (ObjectDisposedException)
                {
                    return 0;
                }
                finally
                {
                    if (added) _fd.DangerousRelease();
                }

                if (n < 0 && Marshal.GetLastPInvokeError() is not (LibC.EAGAIN or LibC.EINTR))
                {
                    Thread.Sleep(1); // an unexpected persistent error must not spin the receive thread
                    return 0;
                }
                if (n <= 0) return 0; // timeout (EAGAIN) or shutdown (0): the caller loops

                int datagrams = 0;
                long bytes = 0;
                int filled = 0;
                for (int i = 0; i < n; i++)
                {
                    ref var m = ref headers.Messages[i];
                    var from = SockAddr.Read(headers.Names + i, _endPoints);
                    if (from is null) continue;
                    ref var e = ref batch[filled];
                    e.Length = (int)m.Length;
                    e.From = from;
                    ParseControl(ref m.Header, out e.Ecn, out int gro);
                    e.SegmentSize = gro > 0 ? gro : e.Length;
                    if (filled != i)
                    {
                        // Keep entries dense: move the payload down to slot `filled`.
                        new Span<byte>(buffer + i * batch.SlotSize, e.Length).CopyTo(batch.GetSlot(filled));
                    }
                    datagrams += batch.SegmentCount(filled);
                    bytes += e.Length;
                    filled++;
                }
                batch.Count = filled;
                Counters.OnReceive(datagrams, bytes);
                return filled;
            }
        }
    }

    private static void ParseControl(ref LibC.MsgHdr header, out EcnCodepoint ecn, out int groSegment)
    {
        ecn = EcnCodepoint.NotEct;
        groSegment = 0;
        byte* p = (byte*)header.Control;
        byte* end = p + (int)header.ControlLength;
        while (p + sizeof(LibC.CMsgHdr) <= end)
        {
            var c = (LibC.CMsgHdr*)p;
            int len = (int)c->Length;
            if (len < sizeof(LibC.CMsgHdr) || p + len > end) break;
            byte* data = (byte*)(c + 1);
            int dataLen = len - sizeof(LibC.CMsgHdr);
            if (c->Level == LibC.IPPROTO_IP && c->Type == LibC.IP_TOS && dataLen >= 1)
                ecn = (EcnCodepoint)(data[0] & 0b11);
            else if (c->Level == LibC.IPPROTO_IPV6 && c->Type == LibC.IPV6_TCLASS && dataLen >= sizeof(int))
                ecn = (EcnCodepoint)(*(int*)data & 0b11);
            else if (c->Level == LibC.SOL_UDP && c->Type == LibC.UDP_GRO && dataLen >= sizeof(int))
                groSegment = *(int*)data;
            p += LibC.CmsgAlign(len);
        }
    }

    public void Wait(long timeoutUs)
    {
        var self = this;
        WaitAny(new ReadOnlySpan<LinuxUdpSocket>(in self), timeoutUs);
    }

    /// <summary>
    /// <see cref="Wait"/> on several sockets at once (a driver thread serving other drivers' sockets, see
    /// QuicEndpointDriver's parking): returns when any of them can receive, any is interrupted, or
    /// <paramref name="timeoutUs"/> passes (negative: no limit). Interrupts are drained. A closed socket is skipped.
    /// </summary>
    public static void WaitAny(ReadOnlySpan<LinuxUdpSocket> sockets, long timeoutUs)
    {
        const int MaxSockets = 64;
        if (sockets.Length > MaxSockets) throw new ArgumentOutOfRangeException(nameof(sockets), $"at most {MaxSockets} sockets");
        var fds = stackalloc LibC.PollFd[2 * sockets.Length];
        Span<bool> added = stackalloc bool[2 * sockets.Length];
        int count = 0;
        LibC.TimeSpec ts;
        LibC.TimeSpec* timeout = null;
        if (timeoutUs >= 0)
        {
            ts.Seconds = timeoutUs / 1_000_000;
            ts.Nanoseconds = timeoutUs % 1_000_000 * 1000;
            timeout = &ts;
        }
        try
        {
            for (int i = 0; i < sockets.Length; i++)
            {
                var s = sockets[i];
                if (s._fd.IsClosed) continue;
                try
                {
                    s._fd.DangerousAddRef(ref added[2 * i]);
                    s._wakeFd.DangerousAddRef(ref added[2 * i + 1]);
                }
                catch (ObjectDisposedException)
                {
                    continue; // closing now: its driver's pass will see the stop
                }
                fds[count++] = new LibC.PollFd { Fd = s._fd.Fd, Events = LibC.POLLIN };
                fds[count++] = new LibC.PollFd { Fd = s._wakeFd.Fd, Events = LibC.POLLIN };
            }
            if (count == 0) return;
            int r = LibC.PPoll(fds, (nuint)count, timeout, null); // EINTR or an error: return, the driver re-checks
            if (r <= 0) return;
            for (int i = 1; i < count; i += 2)
            {
                if ((fds[i].Revents & LibC.POLLIN) == 0) continue;
                ulong drained;
                _ = LibC.Read(fds[i].Fd, &drained, sizeof(ulong));
            }
        }
        finally
        {
            for (int i = 0; i < sockets.Length; i++)
            {
                if (added[2 * i]) sockets[i]._fd.DangerousRelease();
                if (added[2 * i + 1]) sockets[i]._wakeFd.DangerousRelease();
            }
        }
    }

    public void Interrupt()
    {
        bool added = false;
        try
        {
            _wakeFd.DangerousAddRef(ref added);
            ulong one = 1;
            _ = LibC.Write(_wakeFd.Fd, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added) _wakeFd.DangerousRelease();
        }
    }

    private void SetReceiveTimeout(int timeoutMs)
    {
        if (timeoutMs == _receiveTimeoutMs) return;
        LibC.TimeVal tv;
        if (timeoutMs < 0)
        {
            tv.Seconds = 0;
            tv.Microseconds = 0; // zero = block forever
        }
        else
        {
            int ms = Math.Max(1, timeoutMs);
            tv.Seconds = ms / 1000;
            tv.Microseconds = ms % 1000 * 1000;
        }
        LibC.SetSockOpt(_fd.Fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, &tv, (uint)sizeof(LibC.TimeVal));
        _receiveTimeoutMs = timeoutMs;
    }

    public void Dispose()
    {
        if (_fd.IsClosed) return;
        Counters.Retire();
        // Wake a blocked recvmmsg; the descriptor itself closes once no call holds it.
        LibC.Shutdown(_fd.Fd, LibC.SHUT_RDWR);
        Interrupt();
        _fd.Dispose();
        _wakeFd.Dispose();
        lock (_receiveLock)
        {
            _receiveHeaders?.Dispose();
            _receiveHeaders = null;
        }
    }

    private static SocketException LastError() => new(Marshal.GetLastPInvokeError());

    /// <summary>The file descriptor, closed once no syscall is using it.</summary>
    private sealed class SocketFd : SafeHandle
    {
        public SocketFd(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

        public int Fd => (int)handle;

        public override bool IsInvalid => handle == -1;

        protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
    }

    /// <summary>Native mmsghdr, iovec, sockaddr and cmsg arrays for one receive batch.</summary>
    private sealed class MMsgHdrBlock : IDisposable
    {
        public readonly int Capacity;
        public readonly LibC.MMsgHdr* Messages;
        public readonly LibC.IoVec* Iovs;
        public readonly LibC.SockAddrStorage* Names;
        public readonly byte* Controls;

        public MMsgHdrBlock(int capacity)
        {
            Capacity = capacity;
            Messages = (LibC.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(LibC.MMsgHdr)));
            Iovs = (LibC.IoVec*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(LibC.IoVec)));
            Names = (LibC.SockAddrStorage*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(LibC.SockAddrStorage)));
            Controls = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * ReceiveControlSize));
        }

        public void Dispose()
        {
            NativeMemory.Free(Messages);
            NativeMemory.Free(Iovs);
            NativeMemory.Free(Names);
            NativeMemory.Free(Controls);
        }
    }
}
