using System.Net;
using System.Net.Sockets;
using Pliant.Quic.Connection;

namespace Pliant.Net.Udp;

/// <summary>
/// UDP over <see cref="Socket"/> for systems without the Linux path: one syscall per datagram,
/// no GSO/GRO, ECN marks set per socket (IP_TOS) and not read on receive.
/// </summary>
internal sealed class ManagedUdpSocket : IUdpTransport
{
    private const int SocketBufferSize = 4 << 20;

    private readonly Socket _socket;
    private readonly SocketAddress _receiveAddress;
    private readonly SocketAddress _sendAddress;
    private readonly EndPointCache _endPoints = new();
    private readonly Lock _sendLock = new();
    private IPEndPoint? _lastDestination;
    private EcnCodepoint? _currentEcn;
    private volatile bool _disposed;

    public ManagedUdpSocket(IPEndPoint endPoint)
    {
        _socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
                _socket.DualMode = true;
            TrySet(() => _socket.ReceiveBufferSize = SocketBufferSize);
            TrySet(() => _socket.SendBufferSize = SocketBufferSize);
            _socket.Bind(endPoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _receiveAddress = new SocketAddress(_socket.AddressFamily);
        _sendAddress = new SocketAddress(_socket.AddressFamily);
    }

    public IPEndPoint LocalEndPoint { get; }

    public bool GsoEnabled => false;

    public int MaxSegments => 1;

    public UdpCounters Counters { get; } = new();

    public void Send(ReadOnlySpan<byte> data, IPEndPoint destination, int segmentSize, EcnCodepoint ecn)
    {
        if (_disposed) return;
        lock (_sendLock)
        {
            SetEcn(ecn);
            var address = AddressFor(destination);
            int seg = segmentSize <= 0 ? data.Length : segmentSize;
            do
            {
                int n = Math.Min(seg, data.Length);
                try
                {
                    _socket.SendTo(data[..n], SocketFlags.None, address);
                    Counters.OnSend(1, n);
                }
                catch (SocketException)
                {
                    Counters.OnSendError(); // dropped: QUIC recovers from loss
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                data = data[n..];
            }
            while (data.Length > 0);
        }
    }

    private SocketAddress AddressFor(IPEndPoint destination)
    {
        if (ReferenceEquals(destination, _lastDestination)) return _sendAddress;
        var ep = destination;
        if (_socket.AddressFamily == AddressFamily.InterNetworkV6 && ep.AddressFamily == AddressFamily.InterNetwork)
            ep = new IPEndPoint(ep.Address.MapToIPv6(), ep.Port);
        var serialized = ep.Serialize();
        for (int i = 0; i < serialized.Size; i++) _sendAddress[i] = serialized[i];
        _sendAddress.Size = serialized.Size;
        _lastDestination = destination;
        return _sendAddress;
    }

    private void SetEcn(EcnCodepoint ecn)
    {
        if (_currentEcn == ecn) return;
        _currentEcn = ecn;
        try
        {
            if (_socket.AddressFamily == AddressFamily.InterNetwork || _socket.DualMode)
                _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, (int)ecn);
            if (_socket.AddressFamily == AddressFamily.InterNetworkV6 && Ipv6TrafficClassOption is { } tclass)
                _socket.SetSocketOption(SocketOptionLevel.IPv6, tclass, (int)ecn);
        }
        catch (SocketException)
        {
            // Not supported here: packets go out Not-ECT, which QUIC's ECN validation detects.
        }
    }

    /// <summary>IPV6_TCLASS differs per OS and has no <see cref="SocketOptionName"/> member.</summary>
    private static SocketOptionName? Ipv6TrafficClassOption =>
        OperatingSystem.IsLinux() ? (SocketOptionName)67 :
        OperatingSystem.IsWindows() ? (SocketOptionName)39 :
        OperatingSystem.IsMacOS() || OperatingSystem.IsIOS() || OperatingSystem.IsFreeBSD() ? (SocketOptionName)36 :
        null;

    public UdpReceiveBatch CreateReceiveBatch() => UdpBufferPool.RentBatch(capacity: 32, slotSize: 2048);

    public int ReceiveBatch(UdpReceiveBatch batch, int timeoutMs)
    {
        batch.Count = 0;
        if (_disposed) return 0;
        try
        {
            if (!_socket.Poll(timeoutMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(timeoutMs), SelectMode.SelectRead)) return 0;
            int filled = 0;
            // The first receive is known not to block (Poll said readable); later ones only while more is queued.
            for (bool first = true; filled < batch.Capacity && (first || _socket.Available > 0); first = false)
            {
                int n;
                try
                {
                    n = _socket.ReceiveFrom(batch.GetSlot(filled), SocketFlags.None, _receiveAddress);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
                {
                    // ICMP port unreachable from an earlier send (Windows), or a datagram too large:
                    // skip it, without blocking for another one.
                    if (_socket.Available > 0) continue;
                    break;
                }
                if (n == 0) continue; // Interrupt()'s wake-up datagram (QUIC never sends empty ones)
                Counters.OnReceive(1, n);
                ref var entry = ref batch[filled];
                entry.Length = n;
                entry.SegmentSize = n;
                entry.Ecn = EcnCodepoint.NotEct;
                entry.From = ReadAddress(_receiveAddress);
                filled++;
            }
            batch.Count = filled;
            return filled;
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            batch.Count = 0;
            return 0;
        }
    }

    /// <summary>
    /// Socket.Poll has millisecond resolution: shorter waits are rounded up to 1 ms (this fallback paces
    /// more coarsely rather than spin).
    /// </summary>
    public void Wait(long timeoutUs)
    {
        if (_disposed) return;
        try
        {
            long us = timeoutUs < 0 ? -1 : Math.Clamp(timeoutUs, 1000, int.MaxValue);
            _socket.Poll((int)us, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>Wakes <see cref="Wait"/> with an empty datagram to this socket itself (no eventfd here).</summary>
    public void Interrupt()
    {
        if (_disposed) return;
        var address = LocalEndPoint.Address;
        if (address.Equals(IPAddress.Any)) address = IPAddress.Loopback;
        else if (address.Equals(IPAddress.IPv6Any)) address = IPAddress.IPv6Loopback;
        var self = new IPEndPoint(address, LocalEndPoint.Port);
        try
        {
            lock (_sendLock) _socket.SendTo([], SocketFlags.None, self);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
        }
    }

    private IPEndPoint ReadAddress(SocketAddress a)
    {
        Span<byte> buf = stackalloc byte[16];
        ushort port = (ushort)(a[2] << 8 | a[3]);
        if (a.Family == AddressFamily.InterNetwork)
        {
            for (int i = 0; i < 4; i++) buf[i] = a[4 + i];
            return _endPoints.GetV4(buf[..4], port);
        }
        for (int i = 0; i < 16; i++) buf[i] = a[8 + i];
        uint scope = (uint)(a[24] | a[25] << 8 | a[26] << 16 | a[27] << 24);
        return _endPoints.GetV6(buf, port, scope);
    }

    private static void TrySet(Action set)
    {
        try
        {
            set();
        }
        catch (SocketException)
        {
        }
    }

    public void Dispose()
    {
        _disposed = true;
        Counters.Retire();
        _socket.Dispose();
    }
}
