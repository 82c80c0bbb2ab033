using Pliant.Quic.Connection;

namespace Pliant.Quic.Streams;

// Frames from the peer (RFC 9000 §19.4–19.14).
public sealed partial class StreamManager
{
    private const ulong FrameResetStream = 0x04, FrameStopSending = 0x05, FrameStream = 0x08,
        FrameMaxStreamData = 0x11, FrameMaxStreamsBidi = 0x12, FrameStreamDataBlocked = 0x15,
        FrameStreamsBlockedBidi = 0x16;

    /// <summary>
    /// Finds the stream a peer frame refers to, opening peer streams implicitly (RFC 9000 §3.2:
    /// lower-numbered streams of the same type open too). Returns null for a stream already
    /// closed and collected. Throws STREAM_STATE_ERROR for a frame the stream cannot take or a
    /// local stream not yet opened, STREAM_LIMIT_ERROR beyond our MAX_STREAMS (RFC 9000 §4.6).
    /// </summary>
    private StreamState? LookupForPeer(ulong id, ulong frameType, bool receiving)
    {
        if (receiving ? !StreamId.CanReceive(id, _isClient) : !StreamId.CanSend(id, _isClient))
            throw new QuicProtocolException(TransportErrorCode.StreamStateError,
                receiving ? "frame for a send-only stream" : "frame for a receive-only stream", frameType);
        if (_streams.TryGetValue(id, out var s)) return s;
        bool bidi = StreamId.IsBidirectional(id);
        ulong index = StreamId.Index(id);
        if (StreamId.IsLocal(id, _isClient))
        {
            if (index >= (bidi ? _nextLocalBidi : _nextLocalUni))
                throw new QuicProtocolException(TransportErrorCode.StreamStateError, "frame for a stream not yet opened", frameType);
            return null;
        }
        ref ulong next = ref bidi ? ref _nextPeerBidi : ref _nextPeerUni;
        if (index < next) return null;
        if (index >= (bidi ? _peerBidiLimit : _peerUniLimit))
            throw new QuicProtocolException(TransportErrorCode.StreamLimitError, "stream limit exceeded", frameType);
        StreamState? opened = null;
        while (next <= index)
        {
            opened = CreateStream(StreamId.Create(next, !_isClient, bidi));
            next++;
            Emit(ConnectionEventKind.StreamOpened, opened.Id);
        }
        return opened;
    }

    /// <summary>Handles a STREAM frame (RFC 9000 §19.8).</summary>
    public void OnStreamFrame(ulong id, ulong offset, ReadOnlySpan<byte> data, bool fin, long nowUs)
    {
        ulong end = offset + (ulong)data.Length;
        if (offset > Wire.VarInt.Max || end > Wire.VarInt.Max)
            throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, "stream offset beyond 2^62", FrameStream);
        var s = LookupForPeer(id, FrameStream, receiving: true);
        if (s is null) return;
        var buf = s.Recv!;
        if (s.RecvState is RecvState.ResetRecvd or RecvState.ResetRead)
        {
            // Data after a reset: only check it against the final size (RFC 9000 §4.5).
            if (fin) buf.SetFinalSize(end); else buf.SetMaxOffset(end);
            return;
        }
        // Flow control before storing (RFC 9000 §4.1): credit is the highest offset received.
        ulong grew = end > buf.MaxOffset ? end - buf.MaxOffset : 0;
        if (grew > 0)
        {
            s.RecvCredit!.OnReceived(grew, FrameStream);
            _connRecv.OnReceived(grew, FrameStream);
            BytesReceived += (long)grew;
        }
        int directBefore = buf.TargetFilled;
        buf.Write(offset, data, fin);
        if (fin && s.RecvState == RecvState.Recv) s.RecvState = RecvState.SizeKnown;
        if (buf.IsAllReceived && s.RecvState == RecvState.SizeKnown) s.RecvState = RecvState.DataRecvd;

        if (s.StopSendingRequested)
        {
            // Discarded data still counts as consumed so the connection window moves on.
            CreditConnectionConsumed(s, buf.MaxOffset);
            if (s.RecvState == RecvState.DataRecvd)
            {
                s.RecvState = RecvState.DataRead;
                s.StopSendingPending = false;
                TryCollect(s);
            }
            return;
        }
        // Readable: data waits in the buffer, or went straight into the waiting reader's.
        if ((buf.IsReadable || buf.TargetFilled > directBefore) && !s.ReadableSignalled)
        {
            s.ReadableSignalled = true;
            Emit(ConnectionEventKind.StreamReadable, id);
        }
    }

    /// <summary>
    /// Marks a stream whose STREAM frame arrived in a 0-RTT packet (call after <see cref="OnStreamFrame"/>);
    /// the mark stays for the stream's life.
    /// </summary>
    public void MarkEarlyData(ulong id)
    {
        if (_streams.TryGetValue(id, out var s)) s.ReceivedEarlyData = true;
    }

    /// <summary>True when data of stream <paramref name="id"/> arrived as 0-RTT (false once the stream is gone).</summary>
    public bool ReceivedEarlyData(ulong id) => _streams.TryGetValue(id, out var s) && s.ReceivedEarlyData;

    /// <summary>Handles RESET_STREAM (RFC 9000 §19.4).</summary>
    public void OnResetStream(ulong id, ulong code, ulong finalSize)
    {
        var s = LookupForPeer(id, FrameResetStream, receiving: true);
        if (s is null) return;
        var buf = s.Recv!;
        buf.SetFinalSize(finalSize); // FINAL_SIZE_ERROR if it changed or is below data received
        ulong grew = finalSize > buf.MaxOffset ? finalSize - buf.MaxOffset : 0;
        if (grew > 0)
        {
            s.RecvCredit!.OnReceived(grew, FrameResetStream);
            _connRecv.OnReceived(grew, FrameResetStream);
            buf.SetMaxOffset(finalSize);
        }
        if (s.RecvState is not (RecvState.Recv or RecvState.SizeKnown)) return; // all data already here, or reset before
        s.RecvState = RecvState.ResetRecvd;
        s.MaxStreamDataPending = false;
        s.StopSendingPending = false;
        buf.Discard();
        // RFC 9000 §4.5: the final size counts in connection flow control; the unread bytes
        // will never be read, so they are consumed now.
        CreditConnectionConsumed(s, finalSize);
        if (s.StopSendingRequested)
        {
            s.RecvState = RecvState.ResetRead;
            TryCollect(s);
        }
        else
        {
            Emit(ConnectionEventKind.StreamReset, id, code);
        }
    }

    /// <summary>Handles STOP_SENDING (RFC 9000 §19.5): we reset the stream with the same code (§3.5).</summary>
    public void OnStopSending(ulong id, ulong code)
    {
        var s = LookupForPeer(id, FrameStopSending, receiving: false);
        if (s is null || !s.CanSendData) return;
        Emit(ConnectionEventKind.StreamStopSending, id, code);
        ResetLocal(s, code);
    }

    /// <summary>Handles MAX_DATA (RFC 9000 §19.9).</summary>
    public void OnMaxData(ulong max)
    {
        if (!_connSend.OnMaxUpdate(max)) return;
        foreach (var s in _connBlocked) Reschedule(s);
        _connBlocked.Clear();
    }

    /// <summary>Handles MAX_STREAM_DATA (RFC 9000 §19.10).</summary>
    public void OnMaxStreamData(ulong id, ulong max)
    {
        var s = LookupForPeer(id, FrameMaxStreamData, receiving: false);
        if (s is null || s.SendCredit is null) return;
        if (s.SendCredit.OnMaxUpdate(max)) Reschedule(s);
    }

    /// <summary>Handles MAX_STREAMS (RFC 9000 §19.11).</summary>
    public void OnMaxStreams(bool bidi, ulong max)
    {
        if (max > 1UL << 60)
            throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, "MAX_STREAMS above 2^60",
                bidi ? FrameMaxStreamsBidi : FrameMaxStreamsBidi + 1);
        ref ulong limit = ref bidi ? ref _localBidiLimit : ref _localUniLimit;
        if (max <= limit) return;
        limit = max;
        ulong next = bidi ? _nextLocalBidi : _nextLocalUni;
        // The event's StreamId is the next stream that can be opened (bit 1 tells the direction).
        Emit(ConnectionEventKind.StreamsAvailable, StreamId.Create(next, _isClient, bidi));
    }

    /// <summary>Handles DATA_BLOCKED (RFC 9000 §19.12); informational.</summary>
    public void OnDataBlocked(ulong limit) => PeerDataBlockedAt = limit;

    /// <summary>The limit at which the peer last said it was blocked (diagnostics).</summary>
    public ulong? PeerDataBlockedAt { get; private set; }

    /// <summary>Handles STREAM_DATA_BLOCKED (RFC 9000 §19.13); validates the stream, otherwise informational.</summary>
    public void OnStreamDataBlocked(ulong id, ulong limit)
    {
        _ = limit;
        LookupForPeer(id, FrameStreamDataBlocked, receiving: true);
    }

    /// <summary>Handles STREAMS_BLOCKED (RFC 9000 §19.14); informational.</summary>
    public void OnStreamsBlocked(bool bidi, ulong limit)
    {
        if (limit > 1UL << 60)
            throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, "STREAMS_BLOCKED above 2^60",
                bidi ? FrameStreamsBlockedBidi : FrameStreamsBlockedBidi + 1);
    }
}
