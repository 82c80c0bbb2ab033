using Pliant.Quic.Operations;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

// The frame scheduler as an operation (packet.schedule_frames): which pending frame kinds fill a 1-RTT packet, in
// which order, after the connection-management frames (HANDSHAKE_DONE, multipath, PATH_CHALLENGE, connection IDs,
// NEW_TOKEN) that always go first.
public sealed partial class QuicConnectionCore
{
    /// <summary>The kinds <c>packet.schedule_frames</c> orders (ABI: 1-4, one per 4-bit digit of the answer, lowest first).</summary>
    public enum FrameKind
    {
        /// <summary>Frames of plugin-defined types.</summary>
        Plugin = 1,
        /// <summary>Stream and flow control: MAX_DATA, MAX_STREAM_DATA, MAX_STREAMS, *_BLOCKED, RESET_STREAM, STOP_SENDING.</summary>
        Control = 2,
        /// <summary>RFC 9221 DATAGRAM frames.</summary>
        Datagram = 3,
        /// <summary>STREAM frames (the stream scheduler picks the streams).</summary>
        Stream = 4,
    }

    /// <summary>The native order as a <c>packet.schedule_frames</c> answer: plugin frames, control, DATAGRAM, STREAM.</summary>
    public const ulong NativeFrameOrder = 0x4321;

    private int _frameOrderIdle;

    private ulong PendingFrameKinds()
    {
        ulong kinds = 0;
        if (AnyFrameExtensionPending()) kinds |= 1UL << (int)FrameKind.Plugin;
        if (_streams.HasPendingControl) kinds |= 1UL << (int)FrameKind.Control;
        if (_datagramQueue.Count > 0) kinds |= 1UL << (int)FrameKind.Datagram;
        if (_streams.HasPendingStreamData) kinds |= 1UL << (int)FrameKind.Stream;
        return kinds;
    }

    /// <summary>
    /// Fills the rest of a 1-RTT packet in the order <c>packet.schedule_frames</c> answers. An answer that is not a
    /// list of distinct kinds 1-4 breaks the operation's rule; one that writes nothing while something is pending
    /// falls back to the native order for this packet (data always moves), and <see cref="Streams.StreamManager.StarvationLimit"/>
    /// such answers in a row break it. Both detach the scheduler.
    /// </summary>
    private int WriteScheduledFrames(long nowUs, Span<byte> dest, List<SentFrame> frames, PathState sendPath)
    {
        ulong pending = PendingFrameKinds();
        ulong order = pending == 0 ? NativeFrameOrder
            : Operations.Invoke(OperationId.PacketScheduleFrames, NativeFrameOrder, pending, (ulong)dest.Length, (ulong)_datagramQueue.Count);
        if (order != NativeFrameOrder && FrameOrderProblem(order) is { } problem)
        {
            Operations.Reject(OperationId.PacketScheduleFrames, problem);
            order = NativeFrameOrder;
        }
        int pos = WriteKinds(order, nowUs, dest, frames, sendPath);
        if (pos > 0 || pending == 0 || order == NativeFrameOrder)
        {
            _frameOrderIdle = 0;
            return pos;
        }
        // Nothing written while something was pending: the native order this time, and one more strike.
        if (++_frameOrderIdle >= Streams.StreamManager.StarvationLimit)
        {
            _frameOrderIdle = 0;
            Operations.Reject(OperationId.PacketScheduleFrames,
                $"{Streams.StreamManager.StarvationLimit} packets in a row got none of the pending frame kinds (0x{pending:x})");
        }
        return WriteKinds(NativeFrameOrder, nowUs, dest, frames, sendPath);
    }

    /// <summary>Why <paramref name="order"/> is not a list of distinct kinds 1-4 (4 bits each, lowest first, a 0 ends it), or null.</summary>
    private static string? FrameOrderProblem(ulong order)
    {
        int seen = 0;
        for (ulong rest = order; rest != 0; rest >>= 4)
        {
            int kind = (int)(rest & 0xF);
            if (kind == 0) return $"order 0x{order:x} has a gap (a 0 digit before the last)";
            if (kind > (int)FrameKind.Stream) return $"order 0x{order:x} names frame kind {kind} (kinds are 1-4)";
            if ((seen & (1 << kind)) != 0) return $"order 0x{order:x} names frame kind {kind} twice";
            seen |= 1 << kind;
        }
        return null;
    }

    private int WriteKinds(ulong order, long nowUs, Span<byte> dest, List<SentFrame> frames, PathState sendPath)
    {
        int pos = 0;
        for (ulong rest = order; rest != 0; rest >>= 4)
        {
            pos += (FrameKind)(rest & 0xF) switch
            {
                FrameKind.Plugin => WritePluginFrames(dest[pos..], frames),
                FrameKind.Control => _streams.WriteControlFrames(dest[pos..], frames, nowUs, sendPath.Rtt.SmoothedRtt),
                FrameKind.Datagram => WriteDatagramFrames(dest[pos..], frames),
                _ => _streams.WriteStreamFrames(dest[pos..], frames),
            };
        }
        return pos;
    }
}
