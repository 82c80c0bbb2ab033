using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>Path MTU discovery (DPLPMTUD, RFC 9000 §14.3 and RFC 8899): the connection's side of <see cref="PmtuDiscovery"/>.</summary>
public sealed partial class QuicConnectionCore
{
    /// <summary>The datagram size the current path carries now (1,200 until path MTU discovery confirmed more).</summary>
    public int CurrentDatagramSize => _path.DatagramSize;

    /// <summary>Path MTU probes sent and lost, and black holes detected, over the connection's paths.</summary>
    public (long ProbesSent, long ProbesLost, long BlackHoles) PmtuStatistics
    {
        get
        {
            var (sent, lost, holes) = (_path.Pmtu.ProbesSent, _path.Pmtu.ProbesLost, _path.Pmtu.BlackHoles);
            if (_mp is not null)
                foreach (var p in _mp.Paths)
                    if (p is not null && p != _path) (sent, lost, holes) = (sent + p.Pmtu.ProbesSent, lost + p.Pmtu.ProbesLost, holes + p.Pmtu.BlackHoles);
            return (sent, lost, holes);
        }
    }

    /// <summary>
    /// RFC 9000 §14.3.1: DPLPMTUD enters its BASE state once the handshake has completed (path 0) or the path was
    /// validated (later paths, new addresses), up to the smaller of our limit and the peer's max_udp_payload_size.
    /// Without discovery (<see cref="QuicConnectionOptions.PathMtuDiscovery"/> off) the path stays at 1,200 bytes
    /// (§14: no larger datagrams without a discovery mechanism).
    /// </summary>
    private void StartPmtuDiscovery(PathState path, long nowUs)
    {
        SetDatagramSize(path, PmtuDiscovery.BaseSize);
        if (!_options.PathMtuDiscovery) return;
        path.Pmtu.Start(Math.Min(path.MaxDatagramSize, _peerMaxUdpPayload), nowUs);
    }

    private static void SetDatagramSize(PathState path, int size)
    {
        if (path.DatagramSize == size) return;
        path.DatagramSize = size;
        path.Congestion.MaxDatagramSize = size;
    }

    private PathState? PathOfId(ulong id) => id == 0 ? _path : _mp?.PathOf((uint)id);

    /// <summary>
    /// A PMTU probe for <paramref name="path"/>: one 1-RTT packet of PING and PADDING of the size under test, alone in
    /// its datagram (RFC 9000 §14.4). It takes congestion window but its loss is no congestion signal
    /// (<see cref="SentPacket.IsMtuProbe"/>).
    /// </summary>
    private bool TryBuildPmtuProbe(long nowUs, Span<byte> buffer, PathState path, out Transmit transmit)
    {
        transmit = default;
        var space = _spaces[(int)PacketSpace.Application];
        // After confirmation: a client's probe sent before its Finished would reach a server not yet reading 1-RTT.
        if (!_handshakeConfirmed || space.SendKeys is null || space.Discarded || !path.Validated || path.Abandoned) return false;
        int size = path.Pmtu.NextProbeSize(nowUs);
        if (size <= path.DatagramSize || size > buffer.Length || !path.Congestion.CanSend(size)) return false;
        var dest = buffer[..size];
        var numbers = path.ApplicationNumbers;
        ulong pn = numbers.NextPacketNumber;
        int pnLength = PacketNumber.EncodedLength(pn, path.Recovery.LargestAcked(PacketSpace.Application) ?? ulong.MaxValue);
        int headerLength = ShortHeader.Write(dest, _mp is not null ? DestinationFor(path) : _cids.Current, spin: false, keyPhase: _sendKeyPhase, pnLength);
        PacketNumber.Write(dest[headerLength..], pn, pnLength);
        int pos = headerLength + pnLength;
        var sent = RentPacket();
        sent.PacketNumber = pn;
        sent.IsMtuProbe = true;
        pos += WireFrames.WriteIfFits(dest[pos..], new PingFrame());
        // A PING whose Value is the probe's size marks the probe (StreamId: its path) for the ACK and loss handlers.
        sent.Frames.Add(new SentFrame(SentFrameKind.Ping, StreamId: path.Id, Value: (ulong)size));
        int end = size - TagLength;
        dest[pos..end].Clear(); // PADDING up to the size under test
        numbers.NextPacketNumber = pn + 1;
        if (path.Id == 0 && _firstOneRttPacketNumber is null) _firstOneRttPacketNumber = pn;
        SealLoneShortPacket(dest, sent, headerLength, pnLength, end, space.SendKeys, path, nowUs);
        CountSent(size, path);
        path.Pmtu.OnProbeSent(size);
        transmit = new Transmit(path.Remote, size, size, EcnCodepoint.NotEct, path.Local);
        return true;
    }

    private void OnPmtuProbeAcked(in SentFrame f)
    {
        if (PathOfId(f.StreamId) is not { } path) return;
        int old = path.DatagramSize;
        if (path.Pmtu.OnProbeAcked((int)f.Value, _lastNowUs)) SetDatagramSize(path, path.Pmtu.Current);
        if (old != path.DatagramSize || !path.Pmtu.Searching) _qlog?.MtuUpdated(_lastNowUs, old, path.DatagramSize, !path.Pmtu.Searching, QlogPath(path));
    }

    private void OnPmtuProbeLost(in SentFrame f)
    {
        if (PathOfId(f.StreamId) is not { } path) return;
        bool searching = path.Pmtu.Searching;
        path.Pmtu.OnProbeLost((int)f.Value, _lastNowUs);
        if (searching && !path.Pmtu.Searching) _qlog?.MtuUpdated(_lastNowUs, path.DatagramSize, path.DatagramSize, true, QlogPath(path));
    }

    /// <summary>
    /// RFC 8899 §4.3 black-hole detection, by the connection's own signal: consecutive PTOs on a path whose datagrams
    /// are larger than 1,200 bytes may mean the path stopped carrying that size (a route change, a tunnel); the path
    /// falls back to 1,200 bytes (its probes and retransmissions then get through) and searches again.
    /// </summary>
    private void CheckPmtuBlackHole(PathState path, long nowUs)
    {
        if (path.Recovery.PtoCount >= 2 && path.DatagramSize > PmtuDiscovery.BaseSize && path.Pmtu.OnBlackHole(nowUs))
        {
            _qlog?.MtuUpdated(nowUs, path.DatagramSize, PmtuDiscovery.BaseSize, false, QlogPath(path));
            SetDatagramSize(path, PmtuDiscovery.BaseSize);
        }
    }
}
