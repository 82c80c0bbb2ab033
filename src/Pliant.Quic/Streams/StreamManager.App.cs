using Pliant.Quic.Connection;

namespace Pliant.Quic.Streams;

// Application-facing operations: open, write, read, reset, stop sending.
public sealed partial class StreamManager
{
    /// <summary>
    /// Opens a stream; false when the peer's MAX_STREAMS limit is reached (a STREAMS_BLOCKED frame
    /// is queued; wait for <see cref="ConnectionEventKind.StreamsAvailable"/>).
    /// </summary>
    public bool TryOpenStream(bool bidirectional, out ulong id)
    {
        ref ulong next = ref bidirectional ? ref _nextLocalBidi : ref _nextLocalUni;
        ulong limit = bidirectional ? _localBidiLimit : _localUniLimit;
        if (next >= limit)
        {
            // RFC 9000 §4.6: SHOULD send STREAMS_BLOCKED when wishing to open a stream but unable to.
            ref ulong? reported = ref bidirectional ? ref _streamsBlockedBidiReportedAt : ref _streamsBlockedUniReportedAt;
            if (reported != limit)
            {
                reported = limit;
                if (bidirectional) _streamsBlockedBidiPending = true; else _streamsBlockedUniPending = true;
            }
            id = 0;
            return false;
        }
        id = StreamId.Create(next, _isClient, bidirectional);
        next++;
        CreateStream(id);
        return true;
    }

    private StreamState GetForApp(ulong id, bool send)
    {
        if (!_streams.TryGetValue(id, out var s))
            throw new InvalidOperationException($"Stream {id} is not open.");
        if (send ? !s.HasSendPart : !s.HasRecvPart)
            throw new InvalidOperationException($"Stream {id} cannot {(send ? "send" : "receive")}.");
        return s;
    }

    /// <summary>
    /// Queues data for sending; returns the bytes accepted (fewer when the send buffer is full:
    /// wait for <see cref="ConnectionEventKind.StreamWritable"/>). <paramref name="fin"/> ends the
    /// stream once all of <paramref name="data"/> is accepted.
    /// </summary>
    public int Write(ulong id, ReadOnlySpan<byte> data, bool fin)
    {
        var s = GetForApp(id, send: true);
        if (!s.CanSendData) throw new InvalidOperationException($"Stream {id} was reset or completed.");
        var buf = s.Send!;
        if (buf.IsFinRequested)
        {
            if (data.IsEmpty) return 0;
            throw new InvalidOperationException($"Stream {id} was already finished.");
        }
        int n = buf.Write(data, fin);
        if (n < data.Length) s.WriteBlocked = true;
        if (s.SendState == SendState.Ready) s.SendState = SendState.Send;
        Reschedule(s);
        return n;
    }

    /// <summary>
    /// Reads received data in order. <paramref name="fin"/> is true once the stream's end was
    /// read. A stream reset by the peer (or already closed) reads as 0 bytes with fin; the
    /// <see cref="ConnectionEventKind.StreamReset"/> event tells the two apart.
    /// </summary>
    public int Read(ulong id, Span<byte> dest, out bool fin)
    {
        if (!_streams.TryGetValue(id, out var s))
        {
            if (IsClosedStream(id)) { fin = true; return 0; }
            throw new InvalidOperationException($"Stream {id} is not open.");
        }
        if (!s.HasRecvPart) throw new InvalidOperationException($"Stream {id} cannot receive.");
        if (s.RecvState is RecvState.ResetRecvd or RecvState.ResetRead || s.StopSendingRequested)
        {
            fin = true;
            return 0;
        }
        var buf = s.Recv!;
        int n = buf.Read(dest, out fin);
        AfterRead(s, n, fin);
        return n;
    }

    /// <summary>
    /// Lets in-order data of stream <paramref name="id"/> go straight into a waiting reader's
    /// <paramref name="target"/> (see <see cref="ReceiveBuffer.SetReadTarget"/>); ignored for a stream
    /// that cannot receive any more. Collect the count with <see cref="TakeDirect"/>.
    /// </summary>
    public void SetReadTarget(ulong id, Memory<byte> target)
    {
        if (!_streams.TryGetValue(id, out var s) || !s.HasRecvPart || s.StopSendingRequested ||
            s.RecvState is RecvState.ResetRecvd or RecvState.ResetRead or RecvState.DataRead)
        {
            return;
        }
        s.Recv!.SetReadTarget(target);
    }

    /// <summary>
    /// Forgets the reader's buffer set by <see cref="SetReadTarget"/> and returns how many bytes went
    /// into it, accounted as read (flow-control credit, <paramref name="fin"/> once the end was read).
    /// </summary>
    public int TakeDirect(ulong id, out bool fin)
    {
        fin = false;
        if (!_streams.TryGetValue(id, out var s) || !s.HasRecvPart) return 0;
        var buf = s.Recv!;
        int n = buf.TakeTarget();
        if (s.RecvState is RecvState.ResetRecvd or RecvState.ResetRead || s.StopSendingRequested) return n;
        fin = buf.IsFinished && buf.ReadableBytes == 0;
        AfterRead(s, n, fin);
        return n;
    }

    /// <summary>Credit and state after the application took <paramref name="n"/> bytes (RFC 9000 §4.2, §3.2).</summary>
    private void AfterRead(StreamState s, int n, bool fin)
    {
        var buf = s.Recv!;
        s.ReadableSignalled = false;
        if (n > 0)
        {
            s.RecvCredit!.OnConsumed((ulong)n);
            CreditConnectionConsumed(s, buf.ReadOffset);
            // The flow.window_update replacement, when one is attached, decides the stream's window.
            if (_windowUpdateOverride is not null) AskStreamWindow(s);
            // RFC 9000 §4.2: grant more credit once half the window was consumed (not needed when
            // the final size is known).
            if (s.RecvState == RecvState.Recv && s.RecvCredit.ShouldSendUpdate)
            {
                s.MaxStreamDataPending = true;
                EnqueueControl(s);
            }
        }
        if (fin)
        {
            s.RecvState = RecvState.DataRead;
            TryCollect(s);
        }
    }

    /// <summary>True for an ID of a stream that existed and was collected.</summary>
    private bool IsClosedStream(ulong id)
    {
        bool bidi = StreamId.IsBidirectional(id);
        ulong next = StreamId.IsLocal(id, _isClient)
            ? (bidi ? _nextLocalBidi : _nextLocalUni)
            : (bidi ? _nextPeerBidi : _nextPeerUni);
        return StreamId.Index(id) < next;
    }

    /// <summary>Credits the connection-level receive window with a stream's consumed bytes.</summary>
    private void CreditConnectionConsumed(StreamState s, ulong upTo)
    {
        if (upTo <= s.ConnConsumedUpTo) return;
        _connRecv.OnConsumed(upTo - s.ConnConsumedUpTo);
        s.ConnConsumedUpTo = upTo;
        if (_windowUpdateOverride is not null) AskConnectionWindow();
    }

    /// <summary>Abruptly ends the sending part: RESET_STREAM with <paramref name="code"/> (RFC 9000 §3.1).</summary>
    public void Reset(ulong id, ulong code)
    {
        if (!_streams.TryGetValue(id, out var s))
        {
            if (IsClosedStream(id)) return;
            throw new InvalidOperationException($"Stream {id} is not open.");
        }
        if (!s.HasSendPart) throw new InvalidOperationException($"Stream {id} cannot send.");
        ResetLocal(s, code);
    }

    private void ResetLocal(StreamState s, ulong code)
    {
        if (!s.CanSendData) return;
        s.SendState = SendState.ResetSent;
        s.ResetCode = code;
        // RFC 9000 §4.5: the final size is the flow-control credit consumed, i.e. the highest offset sent.
        s.ResetFinalSize = s.Send!.SentEnd;
        s.ResetPending = true;
        s.StreamDataBlockedPending = false;
        s.Send.Dispose();
        EnqueueControl(s);
    }

    /// <summary>
    /// Tells the peer we discard incoming data (STOP_SENDING with <paramref name="code"/>); data
    /// arriving later is dropped but still credited to flow control.
    /// </summary>
    public void StopSending(ulong id, ulong code)
    {
        if (!_streams.TryGetValue(id, out var s))
        {
            if (IsClosedStream(id)) return;
            throw new InvalidOperationException($"Stream {id} is not open.");
        }
        if (!s.HasRecvPart) throw new InvalidOperationException($"Stream {id} cannot receive.");
        if (s.StopSendingRequested || s.IsRecvTerminal) return;
        s.StopSendingRequested = true;
        var buf = s.Recv!;
        buf.Discard();
        CreditConnectionConsumed(s, buf.MaxOffset);
        s.MaxStreamDataPending = false;
        if (s.RecvState is RecvState.Recv or RecvState.SizeKnown)
        {
            // RFC 9000 §3.5: STOP_SENDING only makes sense in "Recv" or "Size Known".
            s.StopSendingPending = true;
            s.StopSendingCode = code;
            EnqueueControl(s);
        }
        else
        {
            s.RecvState = s.RecvState == RecvState.ResetRecvd ? RecvState.ResetRead : RecvState.DataRead;
            TryCollect(s);
        }
    }
}
