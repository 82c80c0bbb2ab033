using System.Buffers.Binary;
using Pliant.Quic.Crypto;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

// The send path: frames → packets → coalesced datagrams → GSO batches (RFC 9000 §12.2, §13, §14).
public sealed partial class QuicConnectionCore
{
    /// <summary>A packet written but not yet protected, so the datagram's last packet can still be padded.</summary>
    private struct PacketDraft
    {
        public int Start;
        public int PnOffset;
        public int PnLength;
        public int PayloadEnd;
        public int LengthFieldOffset; // -1 for short headers
        public PacketKeys Keys;
        public ulong PacketNumber;
        public SentPacket Sent;
        public PathState Path;
    }

    /// <summary>The datagram being built carries PATH_CHALLENGE or PATH_RESPONSE: expanded to 1200 bytes (RFC 9000 §8.2.1).</summary>
    private bool _probePadding;

    private const int TagLength = 16;
    private int _peerMaxUdpPayload = 65527;
    private bool _newTokenPending;
    private AddressTokens? _tokenKey;
    private TimeProvider _tokenTime = TimeProvider.System;

    internal void SetTokenKey(AddressTokens tokens, TimeProvider time)
    {
        _tokenKey = tokens;
        _tokenTime = time;
    }
    private readonly Stack<SentPacket> _packetPool = new();

    /// <summary>
    /// A resuming client with 0-RTT keys may hold its first flight until the application's first
    /// write, at most until <paramref name="untilUs"/>, so early data leaves with the ClientHello.
    /// </summary>
    public void DeferFirstFlight(long untilUs)
    {
        NoteActivity();
        if (CanSendEarlyData && Statistics.DatagramsSent == 0) _deadlines.Set(ConnectionTimer.FirstFlight, untilUs);
    }
    private readonly PacketDraft[] _drafts = new PacketDraft[4];

    /// <summary>
    /// Writes the next datagram(s) to send into <paramref name="buffer"/>. With
    /// <paramref name="maxSegments"/> &gt; 1 it may fill several equal-sized datagrams for GSO.
    /// Returns false when nothing is to be sent now (check <see cref="PollTimeout"/>).
    /// </summary>
    public bool PollTransmit(long nowUs, Span<byte> buffer, int maxSegments, out Transmit transmit)
    {
        if (_receiveBatchHooked) ReportReceiveBatch();
        if (!Operations.IsHooked(Pliant.Quic.Operations.OperationId.TransmitAfterBatch))
            return PollTransmitCore(nowUs, buffer, maxSegments, out transmit);
        // Observers that want totals get one call per transmit (up to a GSO batch) instead of one per packet.
        long packets = Statistics.PacketsSent, bytes = Statistics.BytesSent, datagrams = Statistics.DatagramsSent;
        bool any = PollTransmitCore(nowUs, buffer, maxSegments, out transmit);
        if (Statistics.PacketsSent > packets)
        {
            Operations.Invoke(Pliant.Quic.Operations.OperationId.TransmitAfterBatch, 0, (ulong)(Statistics.PacketsSent - packets),
                (ulong)(Statistics.BytesSent - bytes), (ulong)(Statistics.DatagramsSent - datagrams));
        }
        return any;
    }

    private bool PollTransmitCore(long nowUs, Span<byte> buffer, int maxSegments, out Transmit transmit)
    {
        transmit = default;
        _lastNowUs = nowUs;
        if (_state is ConnectionState.Closed or ConnectionState.Draining) return false;
        if (_state == ConnectionState.Closing)
        {
            if (!_close.TakeResend()) return false;
            // draft-ietf-quic-multipath-21 §2.6: CONNECTION_CLOSE may go on any open path (path 0 may be gone).
            var closePath = _mp is null || !_path.Abandoned ? _path : FirstOpenPath();
            if (closePath is null) return false;
            // RFC 9000 §8.1, §10.2.1: a close to an unvalidated address stays within 3x too.
            long allowance = closePath.AmplificationAllowance;
            if (allowance < 128) return false;
            int room = (int)Math.Min(Math.Min(buffer.Length, closePath.DatagramSize), allowance);
            int n = BuildCloseDatagram(buffer[..room], closePath);
            if (n == 0) return false;
            transmit = new Transmit(closePath.Remote, n, n, EcnCodepoint.NotEct, closePath.Local);
            CountSent(n, closePath);
            return true;
        }

        if (_deadlines.IsArmed(ConnectionTimer.FirstFlight))
        {
            // 0-RTT: hold the first flight until the application wrote something (so its data rides
            // with the ClientHello) or the deadline passed.
            if (!_deadlines.IsDue(ConnectionTimer.FirstFlight, nowUs) && !_streams.HasPendingStreamData && !_streams.HasPendingControl) return false;
            _deadlines.Stop(ConnectionTimer.FirstFlight);
        }
        if (_pathResponses.Count > 0 && TryBuildProbingDatagram(nowUs, buffer, out transmit)) return true;

        // Multipath: the path for this datagram (and the rest of a GSO batch); one path otherwise.
        var path = _mp is null ? _path : SelectSendPath(nowUs);
        if (path is null) return false;
        if (path.Pmtu.ProbeDue(nowUs) && TryBuildPmtuProbe(nowUs, buffer, path, out transmit)) return true;
        int segment = Math.Min(path.DatagramSize, buffer.Length);
        int total = 0, segments = 0;
        while (segments < Math.Max(1, maxSegments) && buffer.Length - total >= 1200)
        {
            int length = BuildDatagram(nowUs, buffer.Slice(total, Math.Min(segment, buffer.Length - total)), path, out bool hasLong);
            if (length == 0) break;
            total += length;
            segments++;
            // GSO: every segment but the last has exactly the segment size; handshake and probing datagrams go alone.
            if (length < segment || hasLong || _probePadding) break;
        }
        if (total == 0) return false;
        var ecn = _ecnEnabled ? EcnCodepoint.Ect0 : EcnCodepoint.NotEct;
        transmit = new Transmit(path.Remote, total, segments > 1 ? segment : total, ecn, path.Local);
        return true;
    }

    private void CountSent(int bytes, PathState path)
    {
        Statistics.DatagramsSent++;
        Statistics.BytesSent += bytes;
        path.BytesSent += bytes;
        path.BytesSentTotal += bytes;
    }

    /// <summary>Builds one datagram of coalesced packets for <paramref name="path"/>; returns its length (0 = nothing to send).</summary>
    private int BuildDatagram(long nowUs, Span<byte> dest, PathState path, out bool hasLongHeader)
    {
        hasLongHeader = false;
        _probePadding = false;
        // RFC 9000 §8.1: before validation, at most three times the bytes received.
        long allowance = path.AmplificationAllowance;
        if (allowance <= 0) return 0;
        int budget = (int)Math.Min(dest.Length, allowance);

        bool probing = path.ProbesPending > 0;
        if (path.Id == 0) foreach (var s in _spaces) if (s.ProbesPending > 0 && !s.Discarded) probing = true;
        bool congestionAllows = probing || path.Congestion.CanSend(budget);
        if (!congestionAllows) Statistics.CongestionLimited++;
        else if (!probing && path.Pacer.NextSendTimeUs(nowUs) is { } next)
        {
            congestionAllows = false;
            _deadlines.Set(ConnectionTimer.Pacing, next);
            Statistics.PacingLimited++;
        }

        // RFC 9000 §14.1: datagrams with an Initial packet from a client (and ack-eliciting Initial
        // packets from a server) are padded to 1200 bytes.
        var initial = _spaces[(int)PacketSpace.Initial];
        bool initialHasData = initial.CanSend && (initial.CryptoSend.HasPendingData || initial.ProbesPending > 0);
        bool padTo1200 = path.Id == 0 && initial.CanSend && (IsClient ? (initialHasData || initial.Numbers.Acks.AckDue(nowUs)) : initialHasData && congestionAllows);
        if (padTo1200 && budget < 1200) return 0;

        int offset = 0, drafts = 0;
        bool builtHandshake = false;
        for (int i = path.Id == 0 ? 0 : 2; i < 3; i++) // draft-ietf-quic-multipath-21: other paths carry 1-RTT only
        {
            var space = _spaces[i];
            if (space.Discarded) continue;
            bool zeroRtt = false;
            if (space.SendKeys is null)
            {
                if (i == 2 && IsClient && _zeroRttSendKeys is not null) zeroRtt = true;
                else continue;
            }
            // Leave room for later packets of the datagram only when this space has nothing to say.
            if (budget - offset < 64) break;
            if (BuildPacket(nowUs, space, zeroRtt, dest[offset..budget], offset, congestionAllows, path, out var draft, out _))
            {
                _drafts[drafts++] = draft;
                offset = draft.PayloadEnd + TagLength;
                if (i < 2 || zeroRtt) hasLongHeader = true;
                if (i == 1) builtHandshake = true;
            }
        }
        if (drafts == 0)
        {
            // Room in the window and nothing to send: an application-limited phase (draft-ietf-ccwg-bbr-06 §4.1.2.6).
            if (congestionAllows && !probing && _handshakeConfirmed) path.Congestion.OnApplicationLimited();
            return 0;
        }

        // RFC 9000 §8.2.1: a datagram with PATH_CHALLENGE or PATH_RESPONSE is expanded to 1200 bytes, as far as
        // the anti-amplification allowance lets it (budget was cut to it).
        if ((padTo1200 || _probePadding) && offset < 1200 && drafts > 0)
        {
            // Pad inside the last packet with PADDING frames (zeros).
            ref var last = ref _drafts[drafts - 1];
            int pad = Math.Min(1200, budget) - offset;
            dest.Slice(last.PayloadEnd, pad).Clear();
            last.PayloadEnd += pad;
            offset += pad;
            last.Sent.InFlight = true;
        }

        for (int d = 0; d < drafts; d++)
        {
            if (Operations.IsHooked(Pliant.Quic.Operations.OperationId.PacketBeforeSend)) BeforeSend(ref _drafts[d]);
            Seal(dest, ref _drafts[d], nowUs);
        }
        CountSent(offset, path);

        if (IsClient && builtHandshake && !_spaces[0].Discarded)
        {
            // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
            DiscardSpace(PacketSpace.Initial, nowUs);
        }
        return offset;
    }

    private void Seal(Span<byte> datagram, ref PacketDraft d, long nowUs)
    {
        // BuildPacket already guaranteed the 4 bytes header protection samples from (RFC 9001 §5.4.2).
        int packetEnd = d.PayloadEnd + TagLength;
        if (d.LengthFieldOffset >= 0)
            LongHeader.PatchLength(datagram[d.Start..], d.LengthFieldOffset - d.Start, packetEnd - d.PnOffset);
        // Only 1-RTT packets travel on paths after the first, so the path ID in the nonce is 0 for every other kind.
        PacketProtector.Protect(datagram[d.Start..packetEnd], d.PnOffset - d.Start, d.PnLength, d.PacketNumber, d.Keys, (uint)d.Path.Id);
        d.Sent.Size = packetEnd - d.Start;
        d.Sent.TimeSentUs = nowUs;
        d.Path.Recovery.OnPacketSent(d.Sent, nowUs);
        OnPacketSentHook(d.Sent, d.Path);
        if (d.Sent.InFlight) d.Path.Pacer.OnPacketSent(nowUs, d.Sent.Size, d.Path.Congestion, d.Path.Rtt);
        Statistics.PacketsSent++;
        _qlog?.PacketSent(nowUs, d.Sent, zeroRtt: d.Keys == _zeroRttSendKeys, QlogPath(d.Path));
    }

    private SentPacket RentPacket()
    {
        var p = _packetPool.Count > 0 ? _packetPool.Pop() : new SentPacket();
        p.Reset();
        return p;
    }

    /// <summary>Writes one packet's header and frames (unprotected). False when there is nothing to send in this space.</summary>
    private bool BuildPacket(long nowUs, PacketSpaceState space, bool zeroRtt, Span<byte> dest, int datagramOffset,
        bool congestionAllows, PathState path, out PacketDraft draft, out bool ackEliciting)
    {
        draft = default;
        ackEliciting = false;
        bool oneRtt = space.Space == PacketSpace.Application && !zeroRtt;
        bool multipath = oneRtt && _mp is not null;
        var keys = zeroRtt ? _zeroRttSendKeys! : space.SendKeys!;
        // The packet numbers: the path's application-data space for 1-RTT (path 0's is the level's own).
        var numbers = oneRtt ? path.ApplicationNumbers : space.Numbers;
        // Once a multipath connection is confirmed every path has its own PTO probes (path 0's included).
        bool pathProbe = oneRtt && _mp is not null && _handshakeConfirmed;
        bool probe = pathProbe ? path.ProbesPending > 0 : space.ProbesPending > 0;
        bool canElicit = congestionAllows || probe;

        // Acknowledgments ride on any path (draft-ietf-quic-multipath-21 §3.1): path 0's ACK and the PATH_ACKs.
        bool acksPending = !zeroRtt && space.Numbers.Acks.AckPending;
        bool acksDue = acksPending && space.Numbers.Acks.AckDue(nowUs);
        if (multipath && PathAcksPending(nowUs, out bool pathAcksDue))
        {
            acksPending = true;
            acksDue |= pathAcksDue;
        }
        bool wantAck = acksPending && (acksDue || canElicit && HasAckElicitingData(space, zeroRtt, path));
        bool wantData = canElicit && (probe || HasAckElicitingData(space, zeroRtt, path));
        if (!wantAck && !wantData) return false;

        ulong pn = numbers.NextPacketNumber;
        if (oneRtt && path.Id == 0)
        {
            // RFC 9000 §21.4: now and then a number is skipped, to catch a peer acknowledging unsent packets.
            pn = _pnSkipper.Next(pn);
            numbers.NextPacketNumber = pn;
        }
        int pnLength = PacketNumber.EncodedLength(pn, path.Recovery.LargestAcked(space.Space) ?? ulong.MaxValue);
        int headerLength;
        int lengthFieldOffset = -1;
        if (oneRtt)
        {
            headerLength = ShortHeader.Write(dest, multipath ? DestinationFor(path) : _cids.Current, spin: false, keyPhase: _sendKeyPhase, pnLength);
        }
        else
        {
            var type = space.Space switch
            {
                PacketSpace.Initial => PacketType.Initial,
                PacketSpace.Handshake => PacketType.Handshake,
                _ => PacketType.ZeroRtt,
            };
            var token = type == PacketType.Initial && IsClient ? _token : ReadOnlySpan<byte>.Empty;
            headerLength = LongHeader.Write(dest, type, Version, _cids.Current, _initialScid, token, pnLength, out int lfo);
            lengthFieldOffset = datagramOffset + lfo;
        }
        PacketNumber.Write(dest[headerLength..], pn, pnLength);
        int payloadStart = headerLength + pnLength;
        int limit = dest.Length - TagLength;
        if (limit - payloadStart < 8) return false;

        var sent = RentPacket();
        sent.PacketNumber = pn;
        sent.Space = space.Space;
        var frames = sent.Frames;
        int pos = payloadStart;

        if (wantAck || acksPending)
        {
            if (space.Numbers.Acks.AckPending)
            {
                int n = space.Numbers.Acks.WriteAckFrame(dest[pos..limit], nowUs, _options.AckDelayExponent);
                if (n > 0)
                {
                    frames.Add(new SentFrame(SentFrameKind.Ack, Value: space.Numbers.LargestReceived ?? 0));
                    pos += n;
                }
            }
            if (multipath) pos += WritePathAcks(dest[pos..limit], frames, nowUs);
        }

        if (canElicit)
        {
            int before = pos;
            // RFC 9002 §6.2.4: each probe datagram repeats the unacknowledged data (the PTO requeued it once, for the
            // first): a PING-only Initial cannot start a connection at a server that keeps no state before a
            // ClientHello, and two copies of a lost tail double the chance one arrives.
            if (probe && space.Space != PacketSpace.Application && !space.CryptoSend.HasPendingData)
                space.CryptoSend.RequeueUnacknowledged();
            else if (probe && oneRtt && !pathProbe && !HasAckElicitingData(space, zeroRtt, path))
                RequeueForApplicationProbe(path, 1);
            pos += WriteCryptoFrames(space, dest[pos..limit], frames);
            // A probe on a path that may be broken is a PING while another path carries the data.
            bool pingOnly = probe && pathProbe && HasOtherUsablePath(path);
            if (space.Space == PacketSpace.Application && !pingOnly)
                pos += WriteApplicationFrames(nowUs, dest[pos..limit], frames, zeroRtt, path);
            if (pos == before && probe)
                pos += WireFrames.WriteIfFits(dest[pos..limit], new PingFrame());
            // RFC 9000 §13.2.4: a receiver that only sends ACKs gets nothing acknowledged and, on a multipath path that
            // only receives, no RTT sample either — its RTT (what ack.select_path and the scheduler compare) would freeze
            // while a queue on its return link grows. An ACK-only packet carries a PING once per smoothed RTT of its path.
            if (pos == before && multipath && pos > payloadStart && nowUs - path.LastAckElicitingSentUs >= path.Rtt.SmoothedRtt)
                pos += WireFrames.WriteIfFits(dest[pos..limit], new PingFrame());
            if (pos > before)
            {
                ackEliciting = true;
                path.LastAckElicitingSentUs = nowUs;
                if (probe && pathProbe) path.ProbesPending--;
                else if (probe) space.ProbesPending--;
            }
        }

        if (pos == payloadStart)
        {
            _packetPool.Push(sent);
            return false;
        }
        // RFC 9001 §5.4.2: the header-protection sample starts 4 bytes after the packet number
        // starts, so packet number plus payload must be at least 4 bytes.
        if (pnLength + (pos - payloadStart) < 4)
        {
            int pad = 4 - pnLength - (pos - payloadStart);
            dest.Slice(pos, pad).Clear();
            pos += pad;
        }
        if (zeroRtt) _zeroRttPacketNumbers.Add(pn);
        else if (oneRtt && path.Id == 0 && _firstOneRttPacketNumber is null) _firstOneRttPacketNumber = pn;
        numbers.NextPacketNumber++;
        sent.AckEliciting = ackEliciting;
        sent.InFlight = ackEliciting;
        draft = new PacketDraft
        {
            Start = datagramOffset,
            PnOffset = datagramOffset + headerLength,
            PnLength = pnLength,
            PayloadEnd = datagramOffset + pos,
            LengthFieldOffset = lengthFieldOffset,
            Keys = keys,
            PacketNumber = pn,
            Sent = sent,
            Path = path,
        };
        return true;
    }

    private readonly List<ulong> _zeroRttPacketNumbers = [];

    /// <summary>
    /// The first packet number sent with 1-RTT keys (0-RTT packets share the Application space and
    /// come before it); an acknowledgment reaching it confirms the client's handshake (RFC 9001 §4.1.2).
    /// </summary>
    private ulong? _firstOneRttPacketNumber;

    private bool HasAckElicitingData(PacketSpaceState space, bool zeroRtt, PathState path)
    {
        if (space.CryptoSend.HasPendingData && !zeroRtt) return true;
        if (space.Space != PacketSpace.Application) return false;
        if (zeroRtt) return _streams.HasPendingStreamData || _streams.HasPendingControl;
        if (_mp is not null && (path.ChallengePending || path.Responses.Count > 0 || HasMultipathFramesPending())) return true;
        return _handshakeDonePending || _pathChallengePending && path.Id == 0 || _newTokenPending || _cids.HasPendingFrames || _streams.HasPendingControl || _streams.HasPendingStreamData ||
               _datagramQueue.Count > 0 || AnyFrameExtensionPending();
    }

    private bool AnyFrameExtensionPending()
    {
        foreach (var ext in _frameExtensionList) if (ext.HasPending) return true;
        return false;
    }

    private static int WriteCryptoFrames(PacketSpaceState space, Span<byte> dest, List<SentFrame> frames)
    {
        int pos = 0;
        var level = space.Space switch
        {
            PacketSpace.Initial => EncryptionLevel.Initial,
            PacketSpace.Handshake => EncryptionLevel.Handshake,
            _ => EncryptionLevel.OneRtt,
        };
        while (dest.Length - pos > 16)
        {
            int room = dest.Length - pos - CryptoFrame.HeaderLength((ulong)int.MaxValue, dest.Length);
            if (room <= 0 || !space.CryptoSend.TryGetNextRange(room, ulong.MaxValue, out ulong offset, out int length, out _))
                break;
            pos += CryptoFrame.WriteHeader(dest[pos..], offset, length);
            space.CryptoSend.CopyTo(offset, dest.Slice(pos, length));
            pos += length;
            frames.Add(new SentFrame(SentFrameKind.Crypto, Offset: offset, Length: length, Level: level));
        }
        return pos;
    }

    private int WriteApplicationFrames(long nowUs, Span<byte> dest, List<SentFrame> frames, bool zeroRtt, PathState sendPath)
    {
        int pos = 0;
        if (!zeroRtt)
        {
            if (_handshakeDonePending && !IsClient && dest.Length - pos >= 1)
            {
                pos += WireFrames.WriteIfFits(dest[pos..], new HandshakeDoneFrame());
                frames.Add(new SentFrame(SentFrameKind.HandshakeDone));
                _handshakeDonePending = false;
            }
            if (_mp is not null) pos += WriteMultipathFrames(dest[pos..], frames, sendPath);
            if (sendPath.Id == 0 && _pathChallengePending && _pendingPath is { } path && path.Address.Equals(RemoteEndPoint))
            {
                int n = WireFrames.WriteIfFits(dest[pos..], new PathChallengeFrame(path.Challenge));
                if (n > 0)
                {
                    pos += n;
                    frames.Add(new SentFrame(SentFrameKind.PathChallenge, Value: path.Challenge));
                    _pathChallengePending = false;
                }
            }
            pos += _cids.WriteFrames(dest[pos..], frames);
            if (_newTokenPending && !IsClient && _tokenKey is not null)
            {
                var token = _tokenKey.CreateNewToken(RemoteEndPoint, _tokenTime.GetUtcNow().ToUnixTimeSeconds());
                int n = WireFrames.WriteIfFits(dest[pos..], new NewTokenFrame(token));
                if (n > 0)
                {
                    pos += n;
                    _newTokenPending = false;
                    frames.Add(new SentFrame(SentFrameKind.NewToken));
                }
            }
        }
        if (zeroRtt)
        {
            pos += _streams.WriteControlFrames(dest[pos..], frames, nowUs, FlowControlRttUs(sendPath));
            return pos + _streams.WriteStreamFrames(dest[pos..], frames);
        }
        if (Operations.IsReplaced(Pliant.Quic.Operations.OperationId.PacketScheduleFrames)) return pos + WriteScheduledFrames(nowUs, dest[pos..], frames, sendPath);
        // The native order: plugin frames, stream and flow control, DATAGRAM, STREAM.
        pos += WritePluginFrames(dest[pos..], frames);
        pos += _streams.WriteControlFrames(dest[pos..], frames, nowUs, FlowControlRttUs(sendPath));
        pos += WriteDatagramFrames(dest[pos..], frames);
        pos += _streams.WriteStreamFrames(dest[pos..], frames);
        return pos;
    }

    private int WritePluginFrames(Span<byte> dest, List<SentFrame> frames)
    {
        int pos = 0;
        foreach (var ext in _frameExtensionList)
        {
            while (ext.HasPending)
            {
                Operations.NoteActivity();
                int n = ext.Write(dest[pos..], out ulong token);
                if (n <= 0) break;
                pos += n;
                frames.Add(new SentFrame(SentFrameKind.Plugin, StreamId: ext.FrameType, Value: token));
            }
        }
        return pos;
    }

    private int WriteDatagramFrames(Span<byte> dest, List<SentFrame> frames)
    {
        int pos = 0;
        while (_datagramQueue.Count > 0)
        {
            int n = WireFrames.WriteIfFits(dest[pos..], new DatagramFrame(_datagramQueue.Peek(), hasLength: true));
            if (n == 0) break;
            _datagramQueue.Dequeue();
            pos += n;
            frames.Add(new SentFrame(SentFrameKind.Datagram));
        }
        return pos;
    }

    /// <summary>Sends PATH_RESPONSE frames on the path each challenge came from (RFC 9000 §8.2.2).</summary>
    private bool TryBuildProbingDatagram(long nowUs, Span<byte> buffer, out Transmit transmit)
    {
        transmit = default;
        var space = _spaces[2];
        if (space.SendKeys is null) { _pathResponses.Clear(); return false; }
        var (to, data) = _pathResponses.Dequeue();
        // RFC 9000 §8.2.2: expanded to 1200 bytes, but never beyond the 3x limit of an unvalidated
        // address (a PATH_CHALLENGE from a spoofed source must not make us an amplifier).
        long allowance = AmplificationAllowance(to);
        int minimum = 1 + _cids.Current.Length + 4 + 9 + 9 + TagLength;
        if (allowance < minimum)
        {
            Statistics.PathResponsesLimited++;
            return false;
        }
        var dest = buffer[..(int)Math.Min(Math.Min(buffer.Length, 1200), allowance)];
        ulong pn = space.Numbers.NextPacketNumber++;
        int pnLength = 4;
        int headerLength = ShortHeader.Write(dest, _cids.Current, spin: false, keyPhase: _sendKeyPhase, pnLength);
        PacketNumber.Write(dest[headerLength..], pn, pnLength);
        int pos = headerLength + pnLength;
        var sent = RentPacket();
        sent.PacketNumber = pn;
        pos += WireFrames.WriteIfFits(dest[pos..], new PathResponseFrame(data));
        sent.Frames.Add(new SentFrame(SentFrameKind.PathResponse, Value: data));
        if (_pendingPath is { } path && path.Address.Equals(to) && _pathChallengePending)
        {
            pos += WireFrames.WriteIfFits(dest[pos..], new PathChallengeFrame(path.Challenge));
            sent.Frames.Add(new SentFrame(SentFrameKind.PathChallenge, Value: path.Challenge));
            _pathChallengePending = false;
        }
        // RFC 9000 §8.2.1: datagrams carrying PATH_CHALLENGE/RESPONSE are expanded to 1200 bytes, or
        // as far as the anti-amplification allowance goes (dest was cut to it).
        int end = dest.Length - TagLength;
        dest[pos..end].Clear();
        pos = end;
        int length = SealLoneShortPacket(dest, sent, headerLength, pnLength, pos, space.SendKeys, _path, nowUs);
        Statistics.DatagramsSent++;
        Statistics.BytesSent += length;
        if (IsCurrentPath(to)) _path.BytesSent += length;
        else _addressCredits.AddSent(to, length);
        transmit = new Transmit(to, length, length, EcnCodepoint.NotEct);
        return true;
    }

    /// <summary>
    /// Attack simulations (tests): writes one 1-RTT packet whose payload is exactly
    /// <paramref name="frames"/> (encoded frames, possibly malformed) into <paramref name="dest"/>, under
    /// the current keys and connection ID, and records it as sent so the peer's ACKs of it are normal.
    /// Returns its length. Nothing else is sent with it.
    /// </summary>
    internal int WriteRawOneRttPacket(long nowUs, ReadOnlySpan<byte> frames, Span<byte> dest)
    {
        var space = _spaces[(int)PacketSpace.Application];
        if (space.SendKeys is null || space.Discarded) throw new InvalidOperationException("no 1-RTT keys yet");
        ulong pn = space.Numbers.NextPacketNumber++;
        const int pnLength = 4;
        int headerLength = ShortHeader.Write(dest, _cids.Current, spin: false, keyPhase: _sendKeyPhase, pnLength);
        PacketNumber.Write(dest[headerLength..], pn, pnLength);
        int pos = headerLength + pnLength;
        frames.CopyTo(dest[pos..]);
        pos += frames.Length;
        var sent = RentPacket();
        sent.PacketNumber = pn;
        return SealLoneShortPacket(dest, sent, headerLength, pnLength, pos, space.SendKeys, _path, nowUs);
    }

    /// <summary>
    /// Seals the ack-eliciting 1-RTT packet at the start of <paramref name="dest"/> that goes alone in its datagram
    /// (payload up to <paramref name="payloadEnd"/>) and records <paramref name="sent"/> as in flight on
    /// <paramref name="path"/>; returns the packet's length.
    /// </summary>
    private int SealLoneShortPacket(Span<byte> dest, SentPacket sent, int headerLength, int pnLength, int payloadEnd, PacketKeys keys,
        PathState path, long nowUs)
    {
        sent.Space = PacketSpace.Application;
        sent.AckEliciting = true;
        sent.InFlight = true;
        var draft = new PacketDraft
        {
            Start = 0, PnOffset = headerLength, PnLength = pnLength, PayloadEnd = payloadEnd, LengthFieldOffset = -1,
            Keys = keys, PacketNumber = sent.PacketNumber, Sent = sent, Path = path,
        };
        Seal(dest, ref draft, nowUs);
        return payloadEnd + TagLength;
    }

    private const int MaxReasonBytes = 256;

    /// <summary>UTF-8 of a reason phrase, cut to 80 characters: it travels in one packet.</summary>
    /// <summary>CONNECTION_CLOSE in every level the peer may be able to read (RFC 9000 §10.2.3).</summary>
    private int BuildCloseDatagram(Span<byte> dest, PathState path)
    {
        Span<byte> reasonBytes = stackalloc byte[MaxReasonBytes];
        int offset = 0, drafts = 0;
        for (int i = 0; i < 3; i++)
        {
            var space = _spaces[i];
            if (space.Discarded || space.SendKeys is null) continue;
            if (i < 2 && _handshakeConfirmed) continue;
            if (dest.Length - offset < 128) break;
            var type = i switch { 0 => PacketType.Initial, 1 => PacketType.Handshake, _ => PacketType.OneRtt };
            var numbers = i == 2 ? path.ApplicationNumbers : space.Numbers;
            ulong pn = numbers.NextPacketNumber++;
            int pnLength = 4;
            var sub = dest[offset..];
            int headerLength, lengthFieldOffset = -1;
            if (type == PacketType.OneRtt)
            {
                headerLength = ShortHeader.Write(sub, _mp is null ? _cids.Current : DestinationFor(path), false, _sendKeyPhase, pnLength);
            }
            else
            {
                headerLength = LongHeader.Write(sub, type, Version, _cids.Current, _initialScid,
                    type == PacketType.Initial && IsClient ? _token : ReadOnlySpan<byte>.Empty, pnLength, out int lfo);
                lengthFieldOffset = offset + lfo;
            }
            PacketNumber.Write(sub[headerLength..], pn, pnLength);
            int pos = headerLength + pnLength;
            // RFC 9000 §10.2.3: APPLICATION_ERROR without a reason in Initial and Handshake packets.
            pos += WireFrames.WriteIfFits(sub[pos..^TagLength], _close.FrameFor(type, reasonBytes));
            var sent = RentPacket();
            sent.PacketNumber = pn;
            sent.Space = space.Space;
            _drafts[drafts++] = new PacketDraft
            {
                Start = offset, PnOffset = offset + headerLength, PnLength = pnLength, PayloadEnd = offset + pos,
                LengthFieldOffset = lengthFieldOffset, Keys = space.SendKeys, PacketNumber = pn, Sent = sent,
            };
            offset += pos + TagLength;
        }
        if (drafts == 0) return 0;
        if (IsClient && !_spaces[0].Discarded && _spaces[0].SendKeys is not null && offset < 1200 && dest.Length >= 1200)
        {
            ref var last = ref _drafts[drafts - 1];
            int pad = 1200 - offset;
            dest.Slice(last.PayloadEnd, pad).Clear();
            last.PayloadEnd += pad;
            offset = 1200;
        }
        for (int d = 0; d < drafts; d++)
        {
            ref var draft = ref _drafts[d];
            int payloadLength = draft.PayloadEnd - (draft.PnOffset + draft.PnLength);
            if (draft.PnLength + payloadLength < 4) { dest.Slice(draft.PayloadEnd, 4).Clear(); draft.PayloadEnd += 4 - draft.PnLength - payloadLength; }
            int end = draft.PayloadEnd + TagLength;
            if (draft.LengthFieldOffset >= 0)
                LongHeader.PatchLength(dest[draft.Start..], draft.LengthFieldOffset - draft.Start, end - draft.PnOffset);
            PacketProtector.Protect(dest[draft.Start..end], draft.PnOffset - draft.Start, draft.PnLength, draft.PacketNumber, draft.Keys,
                draft.LengthFieldOffset < 0 ? (uint)path.Id : 0);
            _packetPool.Push(draft.Sent);
        }
        return offset;
    }
}
