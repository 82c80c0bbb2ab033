namespace Pliant.Quic.Streams;

/// <summary>Sending part states (RFC 9000 §3.1).</summary>
internal enum SendState : byte { Ready, Send, DataSent, ResetSent, DataRecvd, ResetRecvd }

/// <summary>Receiving part states (RFC 9000 §3.2).</summary>
internal enum RecvState : byte { Recv, SizeKnown, DataRecvd, ResetRecvd, DataRead, ResetRead }

/// <summary>The state of one stream inside <see cref="StreamManager"/>.</summary>
internal sealed class StreamState
{
    public StreamState(ulong id) => Id = id;

    public ulong Id { get; }

    // Sending part (null for a receive-only stream).
    public SendBuffer? Send;
    public FlowControlSender? SendCredit;
    public SendState SendState;
    public bool ResetPending;
    public ulong ResetCode;
    public ulong ResetFinalSize;
    public bool StreamDataBlockedPending;
    public bool WriteBlocked;
    public bool SendCompleteSignalled;

    // Receiving part (null for a send-only stream).
    public ReceiveBuffer? Recv;
    public FlowControlReceiver? RecvCredit;
    public RecvState RecvState;
    public bool StopSendingPending;
    public bool StopSendingRequested;
    public ulong StopSendingCode;
    public bool MaxStreamDataPending;
    public bool ReadableSignalled;
    /// <summary>Offset up to which this stream's bytes were credited as consumed at connection level.</summary>
    public ulong ConnConsumedUpTo;
    /// <summary>Some of this stream's frames arrived in 0-RTT packets: its data may be a replay (RFC 9001 §9.2).</summary>
    public bool ReceivedEarlyData;

    // Scheduling. The level (urgency) whose send queue holds the stream's current entry, -1 when in none;
    // the ticket of that entry (older entries of the stream, left behind by a priority change, are skipped).
    public int QueuedLevel = -1;
    public int QueueTicket;
    /// <summary>RFC 9218 §4.1 urgency, 0 (most urgent) to 7; 3 by default.</summary>
    public byte Urgency = StreamPriority.DefaultUrgency;
    /// <summary>
    /// RFC 9218 §4.2: false once the application said the stream is not incremental — such streams of one
    /// urgency are sent one at a time in stream id order. Streams without a priority share in round robin.
    /// </summary>
    public bool Incremental = true;
    public bool InSendQueue => QueuedLevel >= 0;
    public bool InControlQueue;
    public bool Collected;

    public bool HasSendPart => Send is not null;

    public bool HasRecvPart => Recv is not null;

    public bool IsSendTerminal => Send is null || SendState is SendState.DataRecvd or SendState.ResetRecvd;

    public bool IsRecvTerminal => Recv is null || RecvState is RecvState.DataRead or RecvState.ResetRead;

    public bool CanSendData => Send is not null && SendState is SendState.Ready or SendState.Send or SendState.DataSent;

    public bool IsReceiving => Recv is not null && RecvState is RecvState.Recv or RecvState.SizeKnown;
}
