using System.Net;
using Pliant.Quic.Crypto;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

// The receive path: datagram → packets → header protection → decryption → frames (RFC 9000 §12, RFC 9001 §5).
public sealed partial class QuicConnectionCore
{
    /// <summary>
    /// Where packets are decrypted: one per thread, not per connection (64 KiB per connection was half
    /// the memory of a pending handshake). Nothing refers to it after <see cref="HandleDatagram(long, ReadOnlySpan{byte}, IPEndPoint, EcnCodepoint)"/> returns.
    /// </summary>
    [ThreadStatic]
    private static byte[]? t_receiveScratch;
    private readonly List<SentPacket> _ackedScratch = [];
    private readonly List<SentPacket> _lostScratch = [];
    private AckRange[] _ackRangeScratch = new AckRange[64];
    private ConnectionId _peerInitialScid;

    /// <summary>
    /// Whether <paramref name="from"/> is the current peer address; the driver hands out one cached
    /// <see cref="IPEndPoint"/> per address, so the reference check usually answers.
    /// </summary>
    private bool IsCurrentPath(IPEndPoint from)
    {
        if (ReferenceEquals(from, RemoteEndPoint)) return true;
        if (!from.Equals(RemoteEndPoint)) return false;
        // The same address as another instance (a client's path starts with the application's endpoint, datagrams
        // come with the receive path's cached one): keep the received instance, so the next datagrams compare by
        // reference instead of by value. Every other use of the address compares by value.
        RemoteEndPoint = from;
        return true;
    }

    /// <summary>Feeds one received UDP datagram (possibly several coalesced QUIC packets).</summary>
    public void HandleDatagram(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn) =>
        HandleDatagram(nowUs, datagram, from, ecn, default, firstParsed: false);

    /// <summary>
    /// As <see cref="HandleDatagram(long, ReadOnlySpan{byte}, IPEndPoint, EcnCodepoint)"/>, with the first
    /// packet's header already parsed by the endpoint (which routed the datagram by it) with a
    /// short-header connection ID length of <paramref name="dcidLength"/>: not parsed twice when that
    /// matches this connection's.
    /// </summary>
    internal void HandleDatagram(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn,
        in PacketHeader first, int dcidLength) =>
        HandleDatagram(nowUs, datagram, from, ecn, first, firstParsed: first.IsLongHeader || dcidLength == _initialScid.Length);

    private void HandleDatagram(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn,
        in PacketHeader first, bool firstParsed)
    {
        _lastNowUs = nowUs;
        if (_state is ConnectionState.Closed or ConnectionState.Draining) return;
        Statistics.DatagramsReceived++;
        Statistics.BytesReceived += datagram.Length;
        // RFC 9000 §8.1: every datagram attributed to the connection counts toward the 3x limit of its
        // source address, even when all its packets are discarded.
        bool currentPath = IsCurrentPath(from);
        if (currentPath) _path.BytesReceived += datagram.Length;
        else _addressCredits.AddReceived(from, datagram.Length);
        if (_state == ConnectionState.Closing)
        {
            // RFC 9000 §10.2.1: in the closing state no packet is processed (TLS may have failed, or the
            // connection faulted); a datagram can only bring our CONNECTION_CLOSE again, at a falling rate.
            NoteDatagramWhileClosing(currentPath);
            return;
        }
        // Packets are decrypted out of place from the (read-only) driver buffer into this scratch, at the
        // same offsets: only headers are copied, the AEAD writes the plaintext.
        var scratch = t_receiveScratch;
        if (scratch is null || scratch.Length < datagram.Length) t_receiveScratch = scratch = new byte[Math.Max(65536, datagram.Length)];
        var buffer = scratch.AsSpan(0, datagram.Length);

        bool anyProcessed = false;
        int offset = 0;
        try
        {
            while (offset < datagram.Length)
            {
                var rest = datagram[offset..];
                PacketHeader header;
                if (offset == 0 && firstParsed) header = first;
                else if (!PacketHeader.TryParse(rest, _initialScid.Length, out header)) break;
                int length = header.PacketLength;
                if (length <= 0 || length > rest.Length) break;
                if (ProcessPacket(nowUs, rest[..length], buffer.Slice(offset, length), header, from, ecn, datagram.Length))
                    anyProcessed = true;
                offset += length;
                // RFC 9000 §12.2: a short-header packet always ends the datagram.
                if (!header.IsLongHeader) break;
            }
        }
        catch (QuicProtocolException ex)
        {
            EnterClosing(nowUs, (ulong)ex.ErrorCode, ex.Message, isApplication: false, ex.FrameType, isLocal: true);
            return;
        }

        if (anyProcessed)
        {
            _lastActivityUs = nowUs;
            _deadlines.Set(ConnectionTimer.Idle, nowUs + IdleTimeoutWithPto());
        }
        else if (_cids.IsStatelessReset(datagram))
        {
            OnStatelessReset(nowUs);
        }
        else
        {
            Statistics.PacketsDropped++;
        }

    }

    /// <summary>RFC 9000 §10.3.1: a stateless reset ends the connection without any further packet.</summary>
    internal void OnStatelessReset(long nowUs)
    {
        _lastNowUs = nowUs;
        if (_state is ConnectionState.Closed or ConnectionState.Draining) return;
        EnterDraining(nowUs, (ulong)TransportErrorCode.NoError, "stateless reset", isApplication: false, isLocal: false);
    }

    /// <summary>
    /// Processes one packet read from <paramref name="source"/> (the received bytes, left untouched);
    /// its unprotected form is built in <paramref name="packet"/> (same length). False if it was dropped.
    /// </summary>
    private bool ProcessPacket(long nowUs, ReadOnlySpan<byte> source, Span<byte> packet, in PacketHeader header, IPEndPoint from,
        EcnCodepoint ecn, int datagramLength)
    {
        switch (header.Type)
        {
            case PacketType.VersionNegotiation:
                OnVersionNegotiation(nowUs, source, header);
                return false;
            case PacketType.Retry:
                return OnRetry(source, header);
        }

        bool previousVersionInitial = false;
        if (header.IsLongHeader && header.Version != Version)
        {
            // RFC 9368 §2.3: after a server switched versions, the client's Initials may still
            // arrive in the old one until it sees ours.
            if (!IsClient && header.Version == _previousVersion && header.Type == PacketType.Initial &&
                _previousVersionInitialKeys is not null)
            {
                previousVersionInitial = true;
            }
            // RFC 9368 §2.4: a client follows the server to a compatible version it offered.
            else if (IsClient && header.Type == PacketType.Initial && !_receivedFirstPacket &&
                QuicVersion.IsSupported(header.Version) && _options.Versions.Contains(header.Version))
            {
                Version = header.Version;
                _versionNegotiated = true;
                InstallInitialKeys(_dcidForInitialKeys);
            }
            else if (!previousVersionInitial)
            {
                return false;
            }
        }

        var level = header.Type switch
        {
            PacketType.Initial => EncryptionLevel.Initial,
            PacketType.Handshake => EncryptionLevel.Handshake,
            PacketType.ZeroRtt => EncryptionLevel.ZeroRtt,
            _ => EncryptionLevel.OneRtt,
        };
        if (level == EncryptionLevel.ZeroRtt && IsClient) return false; // RFC 9000 §17.2.3: clients never receive 0-RTT
        var space = SpaceFor(level);
        if (space.Discarded) return false;

        PacketKeys? keys = level == EncryptionLevel.ZeroRtt ? _zeroRttReceiveKeys
            : previousVersionInitial ? _previousVersionInitialKeys : space.ReceiveKeys;
        if (keys is null) { Statistics.PacketsDropped++; return false; }

        // draft-ietf-quic-multipath-21 §2: with multipath a 1-RTT packet's connection ID names its path, whose
        // packet number space and nonce it uses. Without it (and for every long-header packet): path 0.
        var path = _path;
        var numbers = space.Numbers;
        if (_mp is not null && level == EncryptionLevel.OneRtt)
        {
            if (PathForPacket(header.DestinationConnectionId, from) is not { } packetPath) { Statistics.PacketsDropped++; return false; }
            path = packetPath;
            numbers = packetPath.ApplicationNumbers;
        }

        int pnOffset = header.PacketNumberOffset;
        if (!PacketProtector.TryRemoveHeaderProtection(source, packet, pnOffset, keys, out int pnLength, out ulong truncated))
            return false;
        ulong pn = PacketNumber.Decode(numbers.LargestReceived ?? 0, truncated, pnLength);

        bool candidateUpdate = false;
        if (level == EncryptionLevel.OneRtt)
        {
            bool phase = (packet[0] & 0x04) != 0;
            keys = SelectReceiveKeys(phase, pn, numbers, out candidateUpdate);
            if (keys is null) { Statistics.PacketsDropped++; return false; }
        }

        if (!PacketProtector.TryDecrypt(source, packet, pnOffset, pnLength, pn, keys, out int payloadLength, (uint)path.Id))
        {
            Statistics.PacketsDropped++;
            return false;
        }

        // RFC 9000 §17.2, §17.3.1: reserved bits must be zero once protection is removed.
        byte reservedMask = header.IsLongHeader ? (byte)0x0c : (byte)0x18;
        if ((packet[0] & reservedMask) != 0)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "reserved header bits set");

        if (candidateUpdate) CommitPeerKeyUpdate(nowUs, pn, numbers);

        if (numbers.Acks.IsDuplicate(pn)) return true;
        Statistics.PacketsReceived++;
        _receivedPacketBytes += packet.Length;
        if (numbers.LargestReceived is not { } largest || pn > largest) numbers.LargestReceived = pn;

        if (IsClient && !_receivedFirstPacket)
        {
            // RFC 9000 §7.2: the client switches to the server's chosen connection ID.
            _receivedFirstPacket = true;
            if (header.Type == PacketType.Initial || header.Type == PacketType.Handshake)
            {
                _cids.ReplaceFirstPeer(header.SourceConnectionId);
                _peerInitialScid = header.SourceConnectionId;
            }
        }
        else if (!IsClient && !_receivedFirstPacket)
        {
            _receivedFirstPacket = true;
            _peerInitialScid = header.SourceConnectionId;
        }

        if (Operations.IsHooked(Pliant.Quic.Operations.OperationId.PacketAfterDecrypt))
            Operations.Invoke(Pliant.Quic.Operations.OperationId.PacketAfterDecrypt, 0, pn, (ulong)packet.Length, (ulong)space.Space, path: path.Id);
        var payload = packet.Slice(pnOffset + pnLength, payloadLength);
        var packetType = header.Type;
        ProcessFrames(nowUs, space, path, level, packetType, payload, from, header.DestinationConnectionId,
            out bool ackEliciting, out bool nonProbing);
        if (_qlogFrameTypes is { } qlogFrames)
        {
            _qlog?.PacketReceived(nowUs, packetType, pn, packet.Length, qlogFrames, QlogPath(path));
            qlogFrames.Clear();
        }

        numbers.Acks.OnPacketReceived(pn, ackEliciting, ecn, nowUs);
        if (_mp is not null && level == EncryptionLevel.OneRtt) AdoptPath(nowUs, path, from, pn, datagramLength);

        if (!IsClient && level == EncryptionLevel.Handshake)
        {
            // RFC 9000 §8.1: a Handshake packet proves the client owns its address; RFC 9001 §4.9.1:
            // the server discards Initial keys when it first processes a Handshake packet.
            if (IsCurrentPath(from)) MarkCurrentPathValidated();
            // The short handshake timeout bounds handshakes from unproven addresses (issue 11). The first
            // Handshake packet proves the address; the handshake then gets one idle timeout from here to finish
            // (once, so trickled packets cannot stretch it): on a lossy path a Finished can need more than 10 s.
            if (!_handshakeComplete && !_spaces[(int)PacketSpace.Initial].Discarded)
                _deadlines.Set(ConnectionTimer.Handshake, Math.Max(_deadlines[ConnectionTimer.Handshake], nowUs + IdleTimeoutWithPto()));
            _path.Recovery.PeerCompletedAddressValidation = true;
            DiscardSpace(PacketSpace.Initial, nowUs);
        }

        // RFC 9001 §4.9.3: after a 1-RTT packet the server drops its 0-RTT keys within three PTOs.
        if (level == EncryptionLevel.OneRtt && _zeroRttReceiveKeys is not null && !_deadlines.IsArmed(ConnectionTimer.ZeroRttDiscard))
            _deadlines.Set(ConnectionTimer.ZeroRttDiscard, nowUs + 3 * _path.Rtt.PtoBase);

        if (level == EncryptionLevel.OneRtt && path.Id == 0 && !IsCurrentPath(from) && numbers.LargestReceived == pn)
            OnPeerAddressChange(nowUs, from, nonProbing);
        return true;
    }

    private void ProcessFrames(long nowUs, PacketSpaceState space, PathState path, EncryptionLevel level, PacketType packetType,
        ReadOnlySpan<byte> payload, IPEndPoint from, ConnectionId packetDcid, out bool ackEliciting, out bool nonProbing)
    {
        ackEliciting = false;
        nonProbing = false;
        // RFC 9000 §12.4: a packet must contain at least one frame.
        if (payload.IsEmpty)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "packet without frames");
        var r = new WireReader(payload, TransportErrorCode.FrameEncodingError, "frame");
        while (!r.IsEmpty)
        {
            int frameStart = r.Remaining;
            ulong type = FrameTypes.ReadType(ref r); // RFC 9000 §12.4: the shortest encoding, else PROTOCOL_VIOLATION
            _qlogFrameTypes?.Add(type);
            if (type == (ulong)FrameType.Padding) continue;
            if (_frameExtensions.Count > 0 && _frameExtensions.TryGetValue(type, out var extension))
            {
                if (packetType != PacketType.OneRtt)
                    throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, $"extension frame 0x{type:x} outside 1-RTT", type);
                Operations.NoteActivity();
                int consumed = extension.Process(r.Rest, nowUs);
                if (consumed < 0 || consumed > r.Remaining)
                    throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, $"extension frame 0x{type:x} is malformed", type);
                r.Skip(consumed);
                ackEliciting |= extension.IsAckEliciting;
                nonProbing = true;
                continue;
            }
            // draft-ietf-quic-multipath-21 §2: the multipath frames exist only once negotiated; before, they are unknown.
            bool multipath = _mp is not null;
            if (!FrameTypes.IsKnown(type) && !(multipath && FrameTypes.IsMultipath(type)))
                throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, $"unknown frame type 0x{type:x}", type);
            if (!FrameRules.IsAllowed(type, packetType, multipath))
                throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, $"frame type 0x{type:x} not allowed in {packetType} packets", type);
            // RFC 9002 §2: every frame but ACK (PATH_ACK), PADDING and CONNECTION_CLOSE is ack-eliciting.
            if (FrameRules.IsAckEliciting(type)) ackEliciting = true;
            // RFC 9000 §9.1: PATH_CHALLENGE, PATH_RESPONSE, NEW_CONNECTION_ID and PADDING are probing frames.
            if (!FrameRules.IsProbing(type)) nonProbing = true;
            try
            {
                ProcessFrame(nowUs, space, path, level, type, ref r, from, packetDcid);
            }
            catch (QuicProtocolException ex) when (ex.FrameType == 0 && ex.ErrorCode != TransportErrorCode.NoError)
            {
                throw new QuicProtocolException(ex.ErrorCode, ex.Message, type);
            }
            // frame.on_received.* observers: one bit test per frame while none is hooked.
            if (_observedFrameTypes != 0 && type < 64 && (_observedFrameTypes >> (int)type & 1) != 0)
                ObserveFrame(type, frameStart - r.Remaining, space, path);
            if (_state is ConnectionState.Draining or ConnectionState.Closed) return;
        }
    }

    private void ProcessFrame(long nowUs, PacketSpaceState space, PathState path, EncryptionLevel level, ulong type,
        ref WireReader r, IPEndPoint from, ConnectionId packetDcid)
    {
        switch ((FrameType)type)
        {
            case FrameType.Ping:
                break;
            case FrameType.Ack:
            case FrameType.AckEcn:
            {
                // draft-ietf-quic-multipath-21 §2.3: with multipath, ACK acknowledges path 0's packets.
                var f = AckFrame.Read(ref r, type);
                OnAckFrame(nowUs, space, _path, f, type);
                break;
            }
            case FrameType.PathAck:
            case FrameType.PathAckEcn:
            case FrameType.PathAbandon:
            case FrameType.PathStatusBackup:
            case FrameType.PathStatusAvailable:
            case FrameType.PathNewConnectionId:
            case FrameType.PathRetireConnectionId:
            case FrameType.MaxPathId:
            case FrameType.PathsBlocked:
            case FrameType.PathCidsBlocked:
                ProcessMultipathFrame(nowUs, space, type, ref r, packetDcid);
                break;
            case FrameType.ResetStream:
            {
                var f = ResetStreamFrame.Read(ref r, type);
                _streams.OnResetStream(f.StreamId, f.ApplicationErrorCode, f.FinalSize);
                break;
            }
            case FrameType.StopSending:
            {
                var f = StopSendingFrame.Read(ref r, type);
                _streams.OnStopSending(f.StreamId, f.ApplicationErrorCode);
                break;
            }
            case FrameType.Crypto:
            {
                var f = CryptoFrame.Read(ref r, type);
                OnCryptoFrame(nowUs, space, level, f.Offset, f.Data);
                break;
            }
            case FrameType.NewToken:
            {
                var f = NewTokenFrame.Read(ref r, type);
                // RFC 9000 §19.7: a server receiving NEW_TOKEN is a PROTOCOL_VIOLATION.
                if (!IsClient) throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "NEW_TOKEN sent by a client", type);
                ReceivedNewToken = f.Token.ToArray();
                break;
            }
            case >= FrameType.Stream and <= FrameType.StreamOffLenFin:
            {
                var f = StreamFrame.Read(ref r, type);
                _streams.OnStreamFrame(f.StreamId, f.Offset, f.Data, f.Fin, nowUs);
                if (level == EncryptionLevel.ZeroRtt) _streams.MarkEarlyData(f.StreamId); // may be a replay (RFC 9001 §9.2)
                break;
            }
            case FrameType.MaxData:
                _streams.OnMaxData(MaxDataFrame.Read(ref r, type).Maximum);
                break;
            case FrameType.MaxStreamData:
            {
                var f = MaxStreamDataFrame.Read(ref r, type);
                _streams.OnMaxStreamData(f.StreamId, f.Maximum);
                break;
            }
            case FrameType.MaxStreamsBidi:
            case FrameType.MaxStreamsUni:
            {
                var f = MaxStreamsFrame.Read(ref r, type);
                _streams.OnMaxStreams(type == (ulong)FrameType.MaxStreamsBidi, f.Maximum);
                break;
            }
            case FrameType.DataBlocked:
                _streams.OnDataBlocked(DataBlockedFrame.Read(ref r, type).Limit);
                break;
            case FrameType.StreamDataBlocked:
            {
                var f = StreamDataBlockedFrame.Read(ref r, type);
                _streams.OnStreamDataBlocked(f.StreamId, f.Limit);
                break;
            }
            case FrameType.StreamsBlockedBidi:
            case FrameType.StreamsBlockedUni:
            {
                var f = StreamsBlockedFrame.Read(ref r, type);
                _streams.OnStreamsBlocked(type == (ulong)FrameType.StreamsBlockedBidi, f.Limit);
                break;
            }
            case FrameType.NewConnectionId:
            {
                var f = NewConnectionIdFrame.Read(ref r, type);
                _cids.OnNewConnectionId(f);
                break;
            }
            case FrameType.RetireConnectionId:
                OnRetireConnectionId(RetireConnectionIdFrame.Read(ref r, type).SequenceNumber, packetDcid);
                break;
            case FrameType.PathChallenge:
            {
                var f = PathChallengeFrame.Read(ref r, type);
                if (path.Id != 0) OnPathChallengeOnPath(path, f.Data); // draft §3.1: answered on its own path
                else OnPathChallenge(f.Data, from);
                break;
            }
            case FrameType.PathResponse:
            {
                var f = PathResponseFrame.Read(ref r, type);
                if (_mp is null || !OnPathResponseForPath(f.Data)) OnPathResponse(f.Data);
                break;
            }
            case FrameType.ConnectionClose:
            case FrameType.ConnectionCloseApplication:
            {
                var f = ConnectionCloseFrame.Read(ref r, type);
                EnterDraining(nowUs, f.ErrorCode, f.ReasonString, isApplication: type == (ulong)FrameType.ConnectionCloseApplication, isLocal: false);
                break;
            }
            case FrameType.HandshakeDone:
                // RFC 9000 §19.20: only servers send HANDSHAKE_DONE.
                if (!IsClient) throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "HANDSHAKE_DONE sent by a client", type);
                ConfirmHandshake(nowUs);
                break;
            case FrameType.Datagram:
            case FrameType.DatagramWithLength:
            {
                var f = DatagramFrame.Read(ref r, type);
                // RFC 9221 §3: DATAGRAM without having advertised support is a PROTOCOL_VIOLATION.
                if (_options.MaxDatagramFrameSize == 0)
                    throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "DATAGRAM frame not negotiated", type);
                OnDatagramReceived(f.Data);
                break;
            }
            default:
                throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, $"unknown frame type 0x{type:x}", type);
        }
    }

    /// <summary>The last NEW_TOKEN token received (client), for address validation on a later connection.</summary>
    public byte[]? ReceivedNewToken { get; private set; }

    private void OnCryptoFrame(long nowUs, PacketSpaceState space, EncryptionLevel level, ulong offset, ReadOnlySpan<byte> data)
    {
        if (level == EncryptionLevel.ZeroRtt)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "CRYPTO in 0-RTT", 0x06);
        // RFC 9000 §7.5: bound the data buffered ahead of what TLS consumed.
        if (offset + (ulong)data.Length > space.CryptoReceive.ReadOffset + 65536)
            throw new QuicProtocolException(TransportErrorCode.CryptoBufferExceeded, "too much CRYPTO data buffered", 0x06);
        space.CryptoReceive.Write(offset, data, fin: false);
        DeliverCryptoData(space, level == EncryptionLevel.OneRtt ? EncryptionLevel.OneRtt : level, nowUs);
    }

    /// <summary>An ACK frame for <paramref name="space"/> (Application: of <paramref name="path"/>, PATH_ACK's path or path 0).</summary>
    private void OnAckFrame(long nowUs, PacketSpaceState space, PathState path, in AckFrame f, ulong frameType)
    {
        int count = 0;
        foreach (var range in f.GetRanges())
        {
            if (count == _ackRangeScratch.Length) Array.Resize(ref _ackRangeScratch, count * 2);
            _ackRangeScratch[count++] = range;
        }
        // RFC 9000 §13.1, §21.4: acknowledging a packet number we skipped (never sent) is an optimistic ACK.
        if (space.Space == PacketSpace.Application && path.Id == 0 && _pnSkipper.AcknowledgesSkipped(_ackRangeScratch.AsSpan(0, count)))
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "ACK of a skipped packet number", frameType);
        long ackDelayUs = space.Space == PacketSpace.Application
            ? (long)Math.Min(f.AckDelay << _peerAckDelayExponent, (ulong)int.MaxValue)
            : 0;
        _ackedScratch.Clear();
        _lostScratch.Clear();
        if (f.Ecn is { } ecnCounts && ecnCounts.Ce > _ecnCeReceived) _ecnCeReceived = ecnCounts.Ce;
        long samplesBefore = path.Rtt.SampleCount;
        path.Recovery.OnAckReceived(space.Space, _ackRangeScratch.AsSpan(0, count), ackDelayUs, f.Ecn, nowUs,
            _ackedScratch, _lostScratch);
        // RFC 9002 §6.2.2.1, §A.6 PeerCompletedAddressValidation: a client knows the server validated its
        // address once a Handshake packet of its own is acknowledged (or the handshake is confirmed), not when
        // it merely receives a Handshake packet; until then it keeps its anti-deadlock PTO armed so that a
        // server stuck at its 3x limit (RFC 9000 §8.1) hears from it again.
        if (IsClient && space.Space == PacketSpace.Handshake) _path.Recovery.PeerCompletedAddressValidation = true;
        if (path.Rtt.SampleCount != samplesBefore && Operations.IsHooked(Pliant.Quic.Operations.OperationId.RttUpdate))
            Operations.Invoke(Pliant.Quic.Operations.OperationId.RttUpdate, 0, (ulong)path.Rtt.LatestRtt, (ulong)path.Rtt.SmoothedRtt, (ulong)path.Rtt.RttVar, (ulong)Math.Max(0, path.Rtt.MinRtt), path.Id);
        if (_ackedScratch.Count > 0)
        {
            path.LastAckedUs = nowUs;
            if (space.Space == PacketSpace.Application) TuneSendBuffers();
        }
        foreach (var p in _ackedScratch) OnPacketAcked(p, path);
        foreach (var p in _lostScratch) OnPacketLost(p, path);
        if (_qlog is not null)
        {
            _qlog.MetricsUpdated(nowUs, path.Rtt, path.Congestion, path.Recovery.PtoCount);
            QlogCongestionState(nowUs, path);
        }
        if (_ackedScratch.Count > 0 && Operations.IsHooked(Pliant.Quic.Operations.OperationId.AckAfterProcess))
        {
            // Observers that want totals get one call per ACK frame instead of one per packet.
            ulong bytes = 0, largest = 0;
            foreach (var p in _ackedScratch)
            {
                bytes += (ulong)p.Size;
                largest = Math.Max(largest, p.PacketNumber);
            }
            Operations.Invoke(Pliant.Quic.Operations.OperationId.AckAfterProcess, 0, (ulong)_ackedScratch.Count, bytes, largest, (ulong)space.Space, path.Id);
        }
        if (_lostScratch.Count > 0) Statistics.CongestionEvents++;
        if (IsClient && space.Space == PacketSpace.Application && path.Id == 0 && _handshakeComplete &&
            _firstOneRttPacketNumber is { } firstOneRtt && f.Largest >= firstOneRtt)
        {
            // RFC 9001 §4.1.2: an acknowledged 1-RTT packet confirms the handshake for the client. Only
            // a 1-RTT one: the server acknowledges 0-RTT packets in the same space (RFC 9000 §17.2.3)
            // before it has our Finished; confirming on that discarded the Handshake keys with the
            // Finished still unsent, and the server waited for it forever.
            ConfirmHandshake(nowUs);
        }
        // Recovery no longer holds these records: reuse them (no allocation per packet in steady state).
        ReturnToPool(_ackedScratch);
        ReturnToPool(_lostScratch);
    }

    /// <summary>
    /// The RTT receive-window auto-tuning judges update intervals by (a window doubles when updates come within two of
    /// it): the path's own, or on a multipath connection the slowest usable path's — data from a slow path arrives
    /// that much later and holds delivery back, so the window must cover its delay, not the fast path's.
    /// </summary>
    private long FlowControlRttUs(PathState path)
    {
        long rtt = path.Rtt.SmoothedRtt;
        if (_mp is null) return rtt;
        foreach (var p in _mp.Paths)
            if (p is { Usable: true } && p.Rtt.SmoothedRtt > rtt) rtt = p.Rtt.SmoothedRtt;
        return rtt;
    }

    /// <summary>Below this minimum RTT the send buffers keep their initial size (see <see cref="TuneSendBuffers"/>).</summary>
    private const long MinSendBufferTuningRttUs = 4_000;

    /// <summary>
    /// Send-buffer auto-tuning (<see cref="Streams.StreamManager.GrowSendBuffers"/>): twice what the paths deliver over
    /// the slowest one's RTT — 2 × the window on one path; with a slow path beside a fast one, the fast path's rate over
    /// the slow one's RTT, since the oldest unacknowledged byte travels on the slow path. Not below
    /// <see cref="MinSendBufferTuningRttUs"/> of minimum RTT (the paths' propagation delay, not their queues): there the
    /// initial 1 MiB already covers more than 2 Gbit/s, and on loopback the window (a few MB at a sub-millisecond RTT)
    /// overstates the rate — buffers grown from it cost the 1 GiB fast path a fifth of its goodput (pool growth, cache
    /// misses: bench/README.md). Judged by the smoothed RTT, a loopback transfer whose queues briefly held 4 ms grew
    /// them anyway (18–33 MB allocated per GiB in some rounds of the fast-path bench).
    /// </summary>
    private void TuneSendBuffers()
    {
        long maxRtt = Math.Max(1, _path.Rtt.SmoothedRtt), maxMinRtt = _path.Rtt.MinRtt;
        double rate = (double)_path.Congestion.Window / maxRtt;
        if (_mp is not null)
        {
            foreach (var p in _mp.Paths)
            {
                if (p is null || p == _path || !p.Usable) continue;
                long rtt = Math.Max(1, p.Rtt.SmoothedRtt);
                maxRtt = Math.Max(maxRtt, rtt);
                maxMinRtt = Math.Max(maxMinRtt, p.Rtt.MinRtt);
                rate += (double)p.Congestion.Window / rtt;
            }
        }
        if (maxMinRtt < MinSendBufferTuningRttUs) return;
        double target = 2 * rate * maxRtt;
        if (target > _streams.SendBufferTarget) _streams.GrowSendBuffers((long)Math.Min(target, long.MaxValue / 2));
    }

    /// <summary>The connection IDs a sent NEW/RETIRE_CONNECTION_ID frame (or its PATH_ variant) was about.</summary>
    private ConnectionIdState? CidsOfFrame(in SentFrame f) => f.StreamId == 0 ? _cids : _mp?.CidsOf((uint)f.StreamId);

    private void ReturnToPool(List<SentPacket> packets)
    {
        foreach (var p in packets)
        {
            if (_packetPool.Count < 4096) _packetPool.Push(p);
        }
        packets.Clear();
    }

    private void OnPacketAcked(SentPacket p, PathState path)
    {
        if (p.Space == PacketSpace.Application && p.PacketNumber >= path.ApplicationNumbers.SendPhaseFirstPn) _keyUpdateAcked = true;
        if (Operations.IsHooked(Pliant.Quic.Operations.OperationId.PacketOnAcked))
            Operations.Invoke(Pliant.Quic.Operations.OperationId.PacketOnAcked, 0, p.PacketNumber, (ulong)p.Size, (ulong)p.Space, (ulong)p.TimeSentUs, path.Id);
        foreach (ref readonly var f in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(p.Frames))
        {
            switch (f.Kind)
            {
                case SentFrameKind.Crypto:
                    SpaceFor(f.Level).CryptoSend.OnAcked(f.Offset, f.Length, false);
                    break;
                case SentFrameKind.Ack:
                    AckTrackerFor(p.Space, f.StreamId)?.OnAckFrameAcked(f.Value);
                    break;
                case SentFrameKind.RetireConnectionId:
                    CidsOfFrame(f)?.OnRetireAcked(f.Value);
                    break;
                case SentFrameKind.Ping when f.Value != 0:
                    OnPmtuProbeAcked(f);
                    break;
                case SentFrameKind.Plugin:
                    if (_frameExtensions.TryGetValue(f.StreamId, out var acked))
                    {
                        Operations.NoteActivity();
                        acked.OnAcked(f.Value);
                    }
                    break;
                case SentFrameKind.Stream:
                case SentFrameKind.ResetStream:
                case SentFrameKind.StopSending:
                case SentFrameKind.MaxData:
                case SentFrameKind.MaxStreamData:
                case SentFrameKind.MaxStreams:
                case SentFrameKind.DataBlocked:
                case SentFrameKind.StreamDataBlocked:
                case SentFrameKind.StreamsBlocked:
                    _streams.OnFrameAcked(f);
                    break;
            }
        }
    }

    private void OnPacketLost(SentPacket p, PathState path)
    {
        Statistics.PacketsLost++;
        _qlog?.PacketLost(_lastNowUs, p, QlogPath(path));
        if (Operations.IsHooked(Pliant.Quic.Operations.OperationId.PacketOnLost))
            Operations.Invoke(Pliant.Quic.Operations.OperationId.PacketOnLost, 0, p.PacketNumber, (ulong)p.Size, (ulong)p.Space, (ulong)p.TimeSentUs, path.Id);
        RequeueFrames(p, dataOnly: false);
    }

    /// <summary>
    /// Queues the frames <paramref name="p"/> carried for sending again: all of them on loss; with
    /// <paramref name="dataOnly"/> (a PTO probe, RFC 9002 §6.2.4, while <paramref name="p"/> stays in flight) only
    /// CRYPTO, STREAM and HANDSHAKE_DONE, the frames whose loss stalls a transfer, not control frames whose
    /// meaning can change while the original is still in flight (connection IDs, flow-control limits).
    /// </summary>
    private void RequeueFrames(SentPacket p, bool dataOnly)
    {
        foreach (ref readonly var f in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(p.Frames))
        {
            if (dataOnly && f.Kind is not (SentFrameKind.Crypto or SentFrameKind.Stream or SentFrameKind.HandshakeDone)) continue;
            switch (f.Kind)
            {
                case SentFrameKind.Crypto:
                    var s = SpaceFor(f.Level);
                    if (!s.Discarded) s.CryptoSend.OnLost(f.Offset, f.Length, false);
                    break;
                case SentFrameKind.Stream:
                    Statistics.StreamBytesRetransmitted += f.Length;
                    _streams.OnFrameLost(f);
                    break;
                case SentFrameKind.ResetStream:
                case SentFrameKind.StopSending:
                case SentFrameKind.MaxData:
                case SentFrameKind.MaxStreamData:
                case SentFrameKind.MaxStreams:
                case SentFrameKind.DataBlocked:
                case SentFrameKind.StreamDataBlocked:
                case SentFrameKind.StreamsBlocked:
                    _streams.OnFrameLost(f);
                    break;
                case SentFrameKind.HandshakeDone:
                    _handshakeDonePending = true;
                    break;
                case SentFrameKind.NewConnectionId:
                    CidsOfFrame(f)?.OnNewConnectionIdLost(f.Value);
                    break;
                case SentFrameKind.RetireConnectionId:
                    CidsOfFrame(f)?.OnRetireLost(f.Value);
                    break;
                case SentFrameKind.PathAbandon:
                case SentFrameKind.PathStatus:
                case SentFrameKind.PathChallenge:
                    OnMultipathFrameLost(f);
                    break;
                case SentFrameKind.NewToken:
                    _newTokenPending = true;
                    break;
                case SentFrameKind.Ping when f.Value != 0:
                    OnPmtuProbeLost(f); // a PMTU probe: its size may be too large (RFC 8899 §5.1.2)
                    break;
                case SentFrameKind.Plugin:
                    if (_frameExtensions.TryGetValue(f.StreamId, out var lost))
                    {
                        Operations.NoteActivity();
                        lost.OnLost(f.Value);
                    }
                    break;
            }
        }
    }

    private void OnVersionNegotiation(long nowUs, ReadOnlySpan<byte> packet, in PacketHeader header)
    {
        // RFC 9000 §6.2: only a client that has not yet received a packet acts on it, and only if
        // our version is not listed (otherwise it is a forgery or stale).
        if (!IsClient || _receivedFirstPacket || _versionNegotiated) return;
        var versions = new uint[header.SupportedVersionsCount];
        for (int i = 0; i < versions.Length; i++) versions[i] = header.GetSupportedVersion(packet, i);
        foreach (uint v in versions) if (v == Version) return;
        EnterDraining(nowUs, (ulong)TransportErrorCode.VersionNegotiationError,
            "server does not support version 0x" + Version.ToString("x8") + "; it offers " +
            string.Join(", ", versions.Select(v => "0x" + v.ToString("x8"))), isApplication: false, isLocal: true);
    }

    private ConnectionId _dcidForInitialKeys;

    private bool OnRetry(ReadOnlySpan<byte> packet, in PacketHeader header)
    {
        // RFC 9000 §17.2.5.2: accept one Retry, before any other server packet, with a valid tag.
        if (!IsClient || _receivedFirstPacket || _retryProcessed) return false;
        if (!RetryIntegrity.Verify(header.Version, _originalDcid.Span, packet)) return false;
        var token = packet.Slice(header.TokenOffset, header.TokenLength);
        if (token.IsEmpty) return false;
        _retryProcessed = true;
        _token = token.ToArray();
        _retryScid = header.SourceConnectionId;
        _cids.StartPeer(header.SourceConnectionId);
        _dcidForInitialKeys = _cids.Current;
        InstallInitialKeys(_cids.Current);
        // RFC 9002 §6.3: Initial packets sent so far are not lost for congestion purposes; their
        // CRYPTO data is sent again under the new keys.
        _scratchPackets.Clear();
        _path.Recovery.DiscardSpace(PacketSpace.Initial, _scratchPackets);
        foreach (var p in _scratchPackets)
            foreach (var f in p.Frames)
                if (f.Kind == SentFrameKind.Crypto) _spaces[0].CryptoSend.OnLost(f.Offset, f.Length, false);
        _scratchPackets.Clear();
        return true;
    }
}
