using Pliant.Quic.Connection;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Streams;

// Writing frames into packets, and reacting to their acknowledgement or loss (RFC 9000 §13.3).
public sealed partial class StreamManager
{
    private readonly Queue<StreamState> _controlQueue = new();
    private readonly HashSet<StreamState> _connBlocked = new();

    private bool _maxDataResend;
    private bool _maxStreamsBidiPending, _maxStreamsUniPending;
    private bool _dataBlockedPending;
    private bool _streamsBlockedBidiPending, _streamsBlockedUniPending;
    private ulong? _streamsBlockedBidiReportedAt, _streamsBlockedUniReportedAt;

    /// <summary>True if control frames (MAX_*, *_BLOCKED, RESET_STREAM, STOP_SENDING) wait to be sent.</summary>
    public bool HasPendingControl =>
        _connRecv.ShouldSendUpdate || _maxDataResend || _maxStreamsBidiPending || _maxStreamsUniPending ||
        _dataBlockedPending || _streamsBlockedBidiPending || _streamsBlockedUniPending || AnyStreamControl();

    private bool AnyStreamControl()
    {
        foreach (var s in _controlQueue)
            if (HasStreamControl(s)) return true;
        return false;
    }

    private static bool HasStreamControl(StreamState s) =>
        s.ResetPending || (s.StopSendingPending && s.IsReceiving) ||
        (s.MaxStreamDataPending && s.RecvState == RecvState.Recv && !s.StopSendingRequested) ||
        (s.StreamDataBlockedPending && s.CanSendData);

    /// <summary>True if some stream has data (or a FIN) it may send now.</summary>
    public bool HasPendingStreamData => _levelMask != 0 && AnySendable();

    private ulong FlowLimit(StreamState s) =>
        Math.Min(s.SendCredit!.Limit, s.Send!.SentEnd + _connSend.Available);

    private bool IsSendable(StreamState s) => !s.Collected && s.CanSendData && s.Send!.HasDataToSend(FlowLimit(s));

    /// <summary>Puts a stream in its urgency's round-robin queue if it can send, or records why it is blocked.</summary>
    private void Reschedule(StreamState s)
    {
        if (!s.CanSendData || s.Collected) return;
        if (IsSendable(s))
        {
            if (!s.InSendQueue) Enqueue(s);
            return;
        }
        var buf = s.Send!;
        // RFC 9000 §4.1: a sender SHOULD send *_BLOCKED when it has data but no credit.
        if (buf.IsBlockedBy(s.SendCredit!.Limit))
        {
            if (s.SendCredit.ShouldReportBlocked()) { s.StreamDataBlockedPending = true; EnqueueControl(s); }
        }
        else if (buf.IsBlockedBy(FlowLimit(s)))
        {
            _connBlocked.Add(s);
            if (_connSend.ShouldReportBlocked()) _dataBlockedPending = true;
        }
    }

    private void EnqueueControl(StreamState s)
    {
        if (s.InControlQueue) return;
        s.InControlQueue = true;
        _controlQueue.Enqueue(s);
    }

    /// <summary>
    /// Writes pending control frames into <paramref name="dest"/>, recording each in
    /// <paramref name="sent"/>; returns bytes written. New MAX_DATA / MAX_STREAM_DATA limits are
    /// computed here (window auto-tuning uses <paramref name="nowUs"/> and <paramref name="smoothedRttUs"/>).
    /// </summary>
    public int WriteControlFrames(Span<byte> dest, List<SentFrame> sent, long nowUs, long smoothedRttUs)
    {
        ArgumentNullException.ThrowIfNull(sent);
        int p = 0;
        const int MaxOne = 9, MaxTwo = 17, MaxThree = 25;

        if ((_connRecv.ShouldSendUpdate || _maxDataResend) && dest.Length - p >= MaxOne)
        {
            ulong window = _connRecv.Window;
            ulong v = _connRecv.ShouldSendUpdate ? _connRecv.UpdateLimit(nowUs, smoothedRttUs) : _connRecv.Limit;
            // Memory follows credit: once the window grew, the backlog it allows can be stored without
            // allocating chunk by chunk later in the transfer.
            if (_connRecv.Window > window) ChunkPool.Reserve((long)_connRecv.Window);
            p += new MaxDataFrame(v).Write(dest[p..]);
            sent.Add(new SentFrame(SentFrameKind.MaxData, Value: v));
            _maxDataResend = false;
        }
        if (_maxStreamsBidiPending && dest.Length - p >= MaxOne)
        {
            p += new MaxStreamsFrame(true, _peerBidiLimit).Write(dest[p..]);
            sent.Add(new SentFrame(SentFrameKind.MaxStreams, StreamId: 0, Value: _peerBidiLimit));
            _maxStreamsBidiPending = false;
        }
        if (_maxStreamsUniPending && dest.Length - p >= MaxOne)
        {
            p += new MaxStreamsFrame(false, _peerUniLimit).Write(dest[p..]);
            // StreamId carries the direction bit (2 = unidirectional).
            sent.Add(new SentFrame(SentFrameKind.MaxStreams, StreamId: 2, Value: _peerUniLimit));
            _maxStreamsUniPending = false;
        }
        if (_dataBlockedPending && dest.Length - p >= MaxOne)
        {
            p += new DataBlockedFrame(_connSend.Limit).Write(dest[p..]);
            sent.Add(new SentFrame(SentFrameKind.DataBlocked, Value: _connSend.Limit));
            _dataBlockedPending = false;
        }
        if (_streamsBlockedBidiPending && dest.Length - p >= MaxOne)
        {
            p += new StreamsBlockedFrame(true, _localBidiLimit).Write(dest[p..]);
            sent.Add(new SentFrame(SentFrameKind.StreamsBlocked, StreamId: 0, Value: _localBidiLimit));
            _streamsBlockedBidiPending = false;
        }
        if (_streamsBlockedUniPending && dest.Length - p >= MaxOne)
        {
            p += new StreamsBlockedFrame(false, _localUniLimit).Write(dest[p..]);
            sent.Add(new SentFrame(SentFrameKind.StreamsBlocked, StreamId: 2, Value: _localUniLimit));
            _streamsBlockedUniPending = false;
        }

        int count = _controlQueue.Count;
        while (count-- > 0 && dest.Length - p >= MaxThree)
        {
            var s = _controlQueue.Dequeue();
            s.InControlQueue = false;
            if (s.Collected && !s.ResetPending) continue;
            if (s.ResetPending)
            {
                p += new ResetStreamFrame(s.Id, s.ResetCode, s.ResetFinalSize).Write(dest[p..]);
                sent.Add(new SentFrame(SentFrameKind.ResetStream, s.Id, Offset: s.ResetFinalSize, Value: s.ResetCode));
                s.ResetPending = false;
            }
            if (s.StopSendingPending && s.IsReceiving && dest.Length - p >= MaxTwo)
            {
                p += new StopSendingFrame(s.Id, s.StopSendingCode).Write(dest[p..]);
                sent.Add(new SentFrame(SentFrameKind.StopSending, s.Id, Value: s.StopSendingCode));
                s.StopSendingPending = false;
            }
            if (s.MaxStreamDataPending && s.RecvState == RecvState.Recv && !s.StopSendingRequested && dest.Length - p >= MaxTwo)
            {
                var credit = s.RecvCredit!;
                ulong v = credit.ShouldSendUpdate ? credit.UpdateLimit(nowUs, smoothedRttUs) : credit.Limit;
                p += new MaxStreamDataFrame(s.Id, v).Write(dest[p..]);
                sent.Add(new SentFrame(SentFrameKind.MaxStreamData, s.Id, Value: v));
                s.MaxStreamDataPending = false;
            }
            if (s.StreamDataBlockedPending && s.CanSendData && dest.Length - p >= MaxTwo)
            {
                ulong v = s.SendCredit!.Limit;
                p += new StreamDataBlockedFrame(s.Id, v).Write(dest[p..]);
                sent.Add(new SentFrame(SentFrameKind.StreamDataBlocked, s.Id, Value: v));
                s.StreamDataBlockedPending = false;
            }
            if (HasStreamControl(s)) EnqueueControl(s); // did not fit: try again in the next packet
        }
        return p;
    }

    /// <summary>
    /// Fills <paramref name="dest"/> with STREAM frames, lost data before new data, the stream of each frame chosen
    /// by the stream scheduler (<see cref="PeekNative"/>: urgency order, round robin or one at a time within an
    /// urgency; or the <c>stream.next_to_send</c> replacement); records each frame in <paramref name="sent"/>.
    /// Returns bytes written.
    /// </summary>
    public int WriteStreamFrames(Span<byte> dest, List<SentFrame> sent)
    {
        ArgumentNullException.ThrowIfNull(sent);
        int p = 0;
        while (PeekNative(out var head) is { } s)
        {
            int space = dest.Length - p;
            int lengthField = space < 64 ? 1 : space < 16384 ? 2 : 4;
            int header = 1 + VarInt.Length(s.Id) + VarInt.Length(s.Send!.WrittenEnd) + lengthField;
            if (space < header + 1) break; // not even one byte (or a bare FIN) fits; the stream keeps its turn
            var nativeChoice = s;
            if (NextToSendOverride is { } choose && !ReferenceEquals(s = AskScheduler(choose, s, space), nativeChoice))
            {
                header = 1 + VarInt.Length(s.Id) + VarInt.Length(s.Send!.WrittenEnd) + lengthField;
                if (space < header + 1) break;
            }
            var buf = s.Send!;
            // The native choice (the head, or the non-incremental stream it gives its turn to) ends the head's
            // turn; a replacement's other choice leaves the queue as it is.
            bool native = ReferenceEquals(s, nativeChoice);
            if (native) EndTurn(head!, s);

            ulong before = buf.SentEnd;
            if (!buf.TryGetNextRange(space - header, FlowLimit(s), out ulong offset, out int length, out bool fin))
            {
                Reschedule(s);
                if (native) continue;
                break; // the replacement's stream had nothing to take after all: leave the rest for the next packet
            }
            ulong fresh = buf.SentEnd - before;
            if (fresh > 0)
            {
                s.SendCredit!.Consume(fresh);
                _connSend.Consume(fresh);
                BytesSent += (long)fresh;
            }
            BytesRetransmitted += length - (long)fresh;
            int h = StreamFrame.WriteHeader(dest[p..], s.Id, offset, length, fin, lengthField);
            buf.CopyTo(offset, dest.Slice(p + h, length));
            p += h + length;
            sent.Add(new SentFrame(SentFrameKind.Stream, s.Id, offset, length, fin));
            if (fin && s.SendState == SendState.Send) s.SendState = SendState.DataSent;
            Reschedule(s); // back of the queue if it has more (and is not queued)
        }
        return p;
    }

    /// <summary>A frame this manager wrote was acknowledged.</summary>
    public void OnFrameAcked(in SentFrame f)
    {
        if (!_streams.TryGetValue(f.StreamId, out var s)) return;
        switch (f.Kind)
        {
            case SentFrameKind.Stream:
                if (!s.CanSendData) return;
                var buf = s.Send!;
                long availBefore = buf.Available;
                buf.OnAcked(f.Offset, f.Length, f.Fin);
                if (s.WriteBlocked && buf.Available > availBefore && buf.Available > 0)
                {
                    s.WriteBlocked = false;
                    Emit(ConnectionEventKind.StreamWritable, s.Id);
                }
                if (buf.IsComplete)
                {
                    // RFC 9000 §3.1: all data and the FIN acknowledged → "Data Recvd".
                    s.SendState = SendState.DataRecvd;
                    Emit(ConnectionEventKind.StreamSendComplete, s.Id);
                    TryCollect(s);
                }
                break;
            case SentFrameKind.ResetStream:
                if (s.SendState == SendState.ResetSent)
                {
                    s.SendState = SendState.ResetRecvd;
                    s.ResetPending = false;
                    TryCollect(s);
                }
                break;
        }
    }

    /// <summary>
    /// A frame this manager wrote was declared lost: queue its information again (RFC 9000 §13.3),
    /// with current values for limits.
    /// </summary>
    public void OnFrameLost(in SentFrame f)
    {
        switch (f.Kind)
        {
            case SentFrameKind.MaxData:
                // Only if no newer limit went out since; a newer one carries the information.
                if (f.Value == _connRecv.Limit) _maxDataResend = true;
                return;
            case SentFrameKind.MaxStreams:
                if (StreamId.IsBidirectional(f.StreamId)) { if (f.Value == _peerBidiLimit) _maxStreamsBidiPending = true; }
                else if (f.Value == _peerUniLimit) _maxStreamsUniPending = true;
                return;
            case SentFrameKind.DataBlocked:
                if (f.Value == _connSend.Limit && _connSend.Available == 0) _dataBlockedPending = true;
                return;
            case SentFrameKind.StreamsBlocked:
                if (StreamId.IsBidirectional(f.StreamId))
                {
                    if (f.Value == _localBidiLimit && _nextLocalBidi >= _localBidiLimit) _streamsBlockedBidiPending = true;
                }
                else if (f.Value == _localUniLimit && _nextLocalUni >= _localUniLimit) _streamsBlockedUniPending = true;
                return;
        }
        if (!_streams.TryGetValue(f.StreamId, out var s)) return;
        switch (f.Kind)
        {
            case SentFrameKind.Stream:
                if (!s.CanSendData) return; // RFC 9000 §3.3: no retransmission after RESET_STREAM
                s.Send!.OnLost(f.Offset, f.Length, f.Fin);
                Reschedule(s);
                break;
            case SentFrameKind.ResetStream:
                if (s.SendState == SendState.ResetSent) { s.ResetPending = true; EnqueueControl(s); }
                break;
            case SentFrameKind.StopSending:
                if (s.StopSendingRequested && s.IsReceiving) { s.StopSendingPending = true; EnqueueControl(s); }
                break;
            case SentFrameKind.MaxStreamData:
                if (s.RecvState == RecvState.Recv && !s.StopSendingRequested && f.Value == s.RecvCredit!.Limit)
                {
                    s.MaxStreamDataPending = true;
                    EnqueueControl(s);
                }
                break;
            case SentFrameKind.StreamDataBlocked:
                if (s.CanSendData && f.Value == s.SendCredit!.Limit && s.SendCredit.Available == 0)
                {
                    s.StreamDataBlockedPending = true;
                    EnqueueControl(s);
                }
                break;
        }
    }
}
