using System.Net;
using Pliant.Net.Udp;
using Pliant.Quic.Connection;

namespace Pliant.Cli.Route;

/// <summary>
/// Collects consecutive datagrams for one destination (same size, same ECN; a shorter one may end the batch) into
/// one buffer, optionally each behind a header, and sends them with one GSO call (UDP_SEGMENT) — the same shape
/// a QUIC endpoint sends. One per thread; sends on a shared socket are serialised by <paramref name="sendLock"/>.
/// </summary>
internal sealed class GsoBatcher(IUdpTransport socket, Lock sendLock)
{
    private const int MaxBytes = 60_000;
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(MaxBytes + 2048, pinned: true);
    private IPEndPoint? _to;
    private EcnCodepoint _ecn;
    private int _segment;
    private int _count;
    private int _used;
    private bool _closed;

    /// <summary>Datagrams handed to the socket.</summary>
    public long Sent { get; private set; }

    /// <summary>Adds <paramref name="header"/> + <paramref name="payload"/> as one datagram to <paramref name="to"/>.</summary>
    public void Add(IPEndPoint to, EcnCodepoint ecn, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        int size = header.Length + payload.Length;
        if (size > MaxBytes) return; // not a QUIC datagram anyone sends; dropped
        if (_count > 0 && (_closed || size > _segment || ecn != _ecn || _used + size > MaxBytes ||
                           _count >= socket.MaxSegments || !to.Equals(_to)))
        {
            Flush();
        }
        if (_count == 0)
        {
            _to = to;
            _ecn = ecn;
            _segment = size;
        }
        header.CopyTo(_buffer.AsSpan(_used));
        payload.CopyTo(_buffer.AsSpan(_used + header.Length));
        _used += size;
        _count++;
        if (size < _segment) _closed = true; // GSO: only the last segment may be shorter
    }

    /// <summary>Sends what was collected.</summary>
    public void Flush()
    {
        if (_count == 0) return;
        lock (sendLock) socket.Send(_buffer.AsSpan(0, _used), _to!, _count > 1 ? _segment : 0, _ecn);
        Sent += _count;
        _count = 0;
        _used = 0;
        _closed = false;
        _to = null;
    }
}
