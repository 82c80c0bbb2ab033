using System.Net;
using System.Net.Sockets;
using Pliant.Net.Udp.Linux;
using Pliant.Quic.Connection;
using Pliant.Quic.Wire;

namespace Pliant.Net.Udp;

/// <summary>
/// The socket of a listener behind a Pliant router (<see cref="QuicListenerOptions.ForwardedBy"/>): every
/// datagram arrives from the router with the <see cref="ForwardingHeader"/> naming the client, and every
/// datagram sent goes to the router with the header naming the client it is for, so the router keeps no
/// per-connection table (docs/routing.md). The endpoint above sees the clients' addresses and ECN marks as if
/// they were directly connected.
/// </summary>
/// <remarks>
/// Trust: only datagrams from the configured router address (and port, unless it is 0) are read; anything
/// else, and anything from the router without a valid header, is dropped and counted in
/// <see cref="Rejected"/>. Replies go to the configured router address, or — when its port is 0 — to the
/// source of the last valid datagram from it. The receive side turns UDP GRO off (each datagram carries its
/// own header, so coalesced ones would need splitting) and moves each payload to the start of its slot
/// (one copy of at most one datagram); the send side writes header + segment for every segment of a GSO
/// batch into one scratch buffer and sends it as a GSO batch of segments <c>header length</c> bytes larger.
/// No allocation per datagram once the scratch buffer has grown to the largest batch.
/// </remarks>
internal sealed class ForwardingHeaderTransport : IUdpTransport
{
    private readonly IUdpTransport _inner;
    private readonly IPAddress _routerAddress;
    private readonly int _routerPort;
    private readonly EndPointCache _clients = new();
    private readonly Lock _sendLock = new();
    private volatile IPEndPoint? _replyTo;
    private byte[] _scratch = new byte[4096];
    private long _rejected;
    private long _unsendable;

    public ForwardingHeaderTransport(IUdpTransport inner, IPEndPoint router)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        ArgumentNullException.ThrowIfNull(router);
        _routerAddress = Normalize(router.Address);
        _routerPort = router.Port;
        if (router.Port != 0) _replyTo = new IPEndPoint(_routerAddress, router.Port);
    }

    /// <summary>Binds <paramref name="endPoint"/> (libc socket without GRO where possible, else managed) behind <paramref name="router"/>.</summary>
    public static ForwardingHeaderTransport Bind(IPEndPoint endPoint, IPEndPoint router, bool forceManaged)
    {
        IUdpTransport inner;
        if (!forceManaged && OperatingSystem.IsLinux())
        {
            try
            {
                inner = LinuxUdpSocket.Bind(endPoint, enableGso: true, enableGro: false);
            }
            catch (SocketException e) when (e.SocketErrorCode != SocketError.AddressAlreadyInUse)
            {
                inner = new ManagedUdpSocket(endPoint);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                inner = new ManagedUdpSocket(endPoint);
            }
        }
        else
        {
            inner = new ManagedUdpSocket(endPoint);
        }
        return new ForwardingHeaderTransport(inner, router);
    }

    public IPEndPoint LocalEndPoint => _inner.LocalEndPoint;

    public bool GsoEnabled => _inner.GsoEnabled;

    public int MaxSegments => _inner.MaxSegments;

    public UdpCounters Counters => _inner.Counters;

    /// <summary>Datagrams dropped on receipt: not from the router, from it without a valid header, or coalesced by GRO.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Datagrams not sent because no router address was known yet (port 0 and nothing received).</summary>
    public long Unsendable => Interlocked.Read(ref _unsendable);

    public UdpReceiveBatch CreateReceiveBatch() => _inner.CreateReceiveBatch();

    public int ReceiveBatch(UdpReceiveBatch batch, int timeoutMs)
    {
        int n = _inner.ReceiveBatch(batch, timeoutMs);
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            ref var entry = ref batch[i];
            var data = batch.GetData(i);
            if (!FromRouter(entry.From) || (entry.SegmentSize > 0 && entry.SegmentSize < entry.Length) ||
                !ForwardingHeader.TryRead(data, out int headerLength, out var ecn, out ushort port, out var address))
            {
                Interlocked.Increment(ref _rejected);
                continue;
            }
            if (_routerPort == 0 && !entry.From.Equals(_replyTo)) _replyTo = entry.From;
            var client = address.Length == 4 ? _clients.GetV4(address, port) : _clients.GetV6(address, port, 0);
            int payload = entry.Length - headerLength;
            // Move the QUIC datagram to the start of slot `kept` (it may be this entry's own slot).
            data.Slice(headerLength, payload).CopyTo(batch.GetSlot(kept));
            ref var target = ref batch[kept];
            target.Length = payload;
            target.SegmentSize = payload;
            target.Ecn = ecn;
            target.From = client;
            kept++;
        }
        batch.Count = kept;
        return kept;
    }

    public void Send(ReadOnlySpan<byte> data, IPEndPoint destination, int segmentSize, EcnCodepoint ecn)
    {
        var router = _replyTo;
        if (router is null)
        {
            Interlocked.Increment(ref _unsendable);
            return;
        }
        int segment = segmentSize <= 0 || segmentSize >= data.Length ? data.Length : segmentSize;
        int count = data.Length == 0 ? 1 : (data.Length + segment - 1) / segment;
        int headerLength = ForwardingHeader.LengthFor(destination);
        lock (_sendLock)
        {
            int total = data.Length + count * headerLength;
            if (_scratch.Length < total) _scratch = new byte[Math.Max(total, _scratch.Length * 2)];
            int at = 0;
            for (int offset = 0; offset < data.Length || (data.Length == 0 && at == 0); offset += segment)
            {
                at += ForwardingHeader.Write(_scratch.AsSpan(at), destination, ecn);
                var piece = data.Slice(offset, Math.Min(segment, data.Length - offset));
                piece.CopyTo(_scratch.AsSpan(at));
                at += piece.Length;
                if (data.Length == 0) break;
            }
            _inner.Send(_scratch.AsSpan(0, at), router, count > 1 ? segment + headerLength : 0, ecn);
        }
    }

    public void Wait(long timeoutUs) => _inner.Wait(timeoutUs);

    public void Interrupt() => _inner.Interrupt();

    public void Dispose() => _inner.Dispose();

    private bool FromRouter(IPEndPoint from) =>
        Normalize(from.Address).Equals(_routerAddress) && (_routerPort == 0 || from.Port == _routerPort);

    private static IPAddress Normalize(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
