using System.Text;
using Pliant.Quic.Operations;
using Pliant.Quic.Recovery;

namespace Pliant.Quic.Connection;

// The protocol-operation seam (DESIGN §3): the table, the fields plugins read and write, frame
// extensions, plugin timers and events.
public sealed partial class QuicConnectionCore
{
    private readonly Dictionary<ulong, IFrameExtension> _frameExtensions = [];
    private IFrameExtension[] _frameExtensionList = [];
    private readonly List<(long AtUs, long Id, Action<long, long> Callback)> _timers = [];
    private long _nextTimerId = 1;
    private long _windowCap;
    private long _pacingCap;
    private ulong _ecnCeReceived;

    /// <summary>The protocol operations of this connection, where plugins attach.</summary>
    public OperationTable Operations { get; } = new();

    private void InitOperations()
    {
        Operations.HandlerFailed = (owner, reason) => RaisePluginEvent(owner, "detached: " + reason);
        Operations.MaxDatagramSize = () => _path.DatagramSize;
        Operations.MaxAckDelayUs = () => _spaces[2].Numbers.Acks.MaxAckDelayUs;
        Operations.Changed = () =>
        {
            NoteActivity(); // a handler attached or detached (a plugin's, or by the single policy): look at the connection again
            ResolveComponents();
            WatchReceiveBatch();
        };
    }

    // receive.after_batch: totals since the last report (decrypted, non-duplicate packets).
    private long _receivedPacketBytes;
    private long _reportedPackets, _reportedPacketBytes, _reportedDatagrams;
    private bool _receiveBatchHooked;

    /// <summary>When <c>receive.after_batch</c> gets its first observer, counting starts from now.</summary>
    private void WatchReceiveBatch()
    {
        bool hooked = Operations.IsHooked(OperationId.ReceiveAfterBatch);
        if (hooked && !_receiveBatchHooked)
            (_reportedPackets, _reportedPacketBytes, _reportedDatagrams) = (Statistics.PacketsReceived, _receivedPacketBytes, Statistics.DatagramsReceived);
        _receiveBatchHooked = hooked;
    }

    /// <summary>
    /// Hands <c>receive.after_batch</c> observers what arrived since the last call. Called when the
    /// connection is polled for output, which the driver does after each batch of datagrams it read
    /// (one call for the batch instead of one <c>packet.after_decrypt</c> per packet).
    /// </summary>
    private void ReportReceiveBatch()
    {
        long packets = Statistics.PacketsReceived - _reportedPackets;
        if (packets == 0) return;
        ulong bytes = (ulong)(_receivedPacketBytes - _reportedPacketBytes), datagrams = (ulong)(Statistics.DatagramsReceived - _reportedDatagrams);
        (_reportedPackets, _reportedPacketBytes, _reportedDatagrams) = (Statistics.PacketsReceived, _receivedPacketBytes, Statistics.DatagramsReceived);
        Operations.Invoke(OperationId.ReceiveAfterBatch, 0, (ulong)packets, bytes, datagrams);
    }

    /// <summary>Picks native components or their operation-table adapters after hooks changed.</summary>
    private void ResolveComponents()
    {
        ResolveFrameObservers();
        // Congestion control (cc.*), the PTO (recovery.pto), loss detection (recovery.detect_lost) and the ACK policy
        // (ack.should_send_now, ack.delay), per path with its id: adapters and overrides exist only while attached.
        ApplyPathOperations(_path);
        if (_mp is not null)
            foreach (var p in _mp.Paths)
                if (p is not null && !ReferenceEquals(p, _path)) ApplyPathOperations(p);
        // The stream scheduler (stream.next_to_send): asked per STREAM frame only when a replacement is attached.
        bool scheduler = Operations.IsReplaced(OperationId.StreamNextToSend);
        _streams.NextToSendOverride = scheduler
            ? (native, candidates, room) => Operations.Invoke(OperationId.StreamNextToSend, native, (ulong)candidates, (ulong)room)
            : null;
        _streams.NextToSendRejected = scheduler ? reason => Operations.Reject(OperationId.StreamNextToSend, reason) : null;
        // The flow-control credit policy (flow.window_update): asked after the application consumed data.
        bool flow = Operations.IsReplaced(OperationId.FlowWindowUpdate);
        if (flow != _streams.WindowUpdateOverride is not null)
        {
            _streams.WindowUpdateOverride = flow
                ? (id, credit) => Operations.Invoke(OperationId.FlowWindowUpdate,
                    credit.NativeWantsUpdate ? credit.NextWindow(_lastNowUs, FlowControlRttUs(_path)) : 0, id, credit.Consumed, credit.Limit, credit.Window)
                : null;
            _streams.WindowUpdateRejected = flow ? reason => Operations.Reject(OperationId.FlowWindowUpdate, reason) : null;
        }
    }

    // frame.on_received.*: bit t set when the observer of core frame type t is hooked.
    private ulong _observedFrameTypes;

    private void ResolveFrameObservers()
    {
        ulong bits = 0;
        for (int t = 0; t < OperationCatalog.FrameObserverByType.Length; t++)
            if (OperationCatalog.FrameObserverByType[t] is var op && op != OperationId.Count && Operations.IsHooked(op)) bits |= 1UL << t;
        _observedFrameTypes = bits;
    }

    /// <summary>Hands a received core frame to its <c>frame.on_received.*</c> observers.</summary>
    private void ObserveFrame(ulong type, int bytes, PacketSpaceState space, PathState path) =>
        Operations.Invoke(OperationCatalog.FrameObserverByType[type], 0, type, (ulong)bytes, (ulong)space.Space, 0, path.Id);

    /// <summary>The base wire type of each <see cref="SentFrameKind"/> for <c>packet.before_send</c> (63: a type of 63 or more).</summary>
    private static readonly byte[] SentFrameWireType = BuildSentFrameWireTypes();

    private static byte[] BuildSentFrameWireTypes()
    {
        var t = new byte[Enum.GetValues<SentFrameKind>().Length];
        Array.Fill(t, (byte)63);
        t[(int)SentFrameKind.Ping] = 0x01;
        t[(int)SentFrameKind.Ack] = 0x02;
        t[(int)SentFrameKind.ResetStream] = 0x04;
        t[(int)SentFrameKind.StopSending] = 0x05;
        t[(int)SentFrameKind.Crypto] = 0x06;
        t[(int)SentFrameKind.NewToken] = 0x07;
        t[(int)SentFrameKind.Stream] = 0x08;
        t[(int)SentFrameKind.MaxData] = 0x10;
        t[(int)SentFrameKind.MaxStreamData] = 0x11;
        t[(int)SentFrameKind.MaxStreams] = 0x12;
        t[(int)SentFrameKind.DataBlocked] = 0x14;
        t[(int)SentFrameKind.StreamDataBlocked] = 0x15;
        t[(int)SentFrameKind.StreamsBlocked] = 0x16;
        t[(int)SentFrameKind.NewConnectionId] = 0x18;
        t[(int)SentFrameKind.RetireConnectionId] = 0x19;
        t[(int)SentFrameKind.PathChallenge] = 0x1a;
        t[(int)SentFrameKind.PathResponse] = 0x1b;
        t[(int)SentFrameKind.HandshakeDone] = 0x1e;
        t[(int)SentFrameKind.Datagram] = 0x30;
        return t;
    }

    /// <summary>packet.before_send: the packet's number, size, frame types (bit per base type) and space, before it is sealed.</summary>
    private void BeforeSend(ref PacketDraft d)
    {
        ulong types = 0;
        foreach (var f in d.Sent.Frames) types |= 1UL << SentFrameWireType[(int)f.Kind];
        Operations.Invoke(OperationId.PacketBeforeSend, 0, d.PacketNumber, (ulong)(d.PayloadEnd + TagLength - d.Start), types, (ulong)d.Sent.Space, d.Path.Id);
    }

    /// <summary>
    /// Puts <paramref name="path"/>'s congestion controller behind the operation table while a <c>cc.*</c> hook (or,
    /// on path 0, a window or pacing cap field) is set, and sets or clears its <c>recovery.pto</c>,
    /// <c>recovery.detect_lost</c>, <c>ack.should_send_now</c> and <c>ack.delay</c> replacements; the path id is the
    /// calls' <c>arg(5)</c>.
    /// </summary>
    private void ApplyPathOperations(PathState path)
    {
        ulong id = (ulong)path.Id;
        bool first = ReferenceEquals(path, _path);
        bool adapt = Operations.AnyCongestionHook || (first && (_windowCap > 0 || _pacingCap > 0));
        var native = path.Congestion is OperationCongestionController a ? a.Native : path.Congestion;
        // One delivery-rate sampler per path for its life (packets in flight carry its counters across re-adaptations);
        // a native BBR's own, which it feeds itself.
        if (adapt) path.RateSampler ??= native is Bbr bbr ? bbr.Sampler : new DeliveryRateSampler();
        path.Congestion = adapt
            ? first ? new OperationCongestionController(native, Operations, () => _windowCap, () => _pacingCap, id, path.RateSampler)
                : new OperationCongestionController(native, Operations, static () => 0, static () => 0, id, path.RateSampler)
            : native;
        path.Recovery.CongestionController = path.Congestion;
        // The ACK policy of the path's packets (its application packet number space; path 0's is the connection's).
        var acks = path.ApplicationNumbers.Acks;
        acks.ImmediateOverride = Operations.IsReplaced(OperationId.AckShouldSendNow)
            ? (pn, unacked, reordered, native) => Operations.Invoke(OperationId.AckShouldSendNow, native ? 1UL : 0UL,
                pn, (ulong)unacked, reordered ? 1UL : 0UL, path: id) != 0
            : null;
        acks.DelayOverride = Operations.IsReplaced(OperationId.AckDelay)
            ? pn => (long)Operations.Invoke(OperationId.AckDelay, (ulong)acks.MaxAckDelayUs, pn, path: id)
            : null;
        path.Recovery.PtoDurationOverride = Operations.IsReplaced(OperationId.RecoveryPto)
            ? native => (long)Math.Min(Operations.Invoke(OperationId.RecoveryPto, (ulong)native, path: id), long.MaxValue / 4)
            : null;
        path.Recovery.LossDelayOverride = Operations.IsReplaced(OperationId.RecoveryDetectLost)
            ? (pn, sent, largest, threshold, native) => (long)Operations.Invoke(OperationId.RecoveryDetectLost, (ulong)native, pn, (ulong)sent, largest, (ulong)threshold, id)
            : null;
    }

    /// <summary>Reads a stream's state for a plugin (ABI: <see cref="StreamField"/>); <see cref="ulong.MaxValue"/> when it is not open.</summary>
    public ulong GetStreamField(ulong streamId, StreamField field) => _streams.GetStreamField(streamId, field);

    /// <summary>During a <c>stream.next_to_send</c> call, the <paramref name="index"/>-th stream that may send now; 2^62 past the end.</summary>
    public ulong StreamCandidate(int index) => _streams.StreamCandidate(index);

    /// <summary>Reads connection state for a plugin (ABI field ids: <see cref="ConnectionField"/>).</summary>
    public ulong GetField(ConnectionField field) => field switch
    {
        ConnectionField.Now => (ulong)_lastNowUs,
        ConnectionField.IsClient => IsClient ? 1UL : 0UL,
        ConnectionField.State => (ulong)_state,
        // Path fields read path 0's (the only one without multipath).
        ConnectionField.SmoothedRtt or ConnectionField.MinRtt or ConnectionField.LatestRtt or ConnectionField.RttVar
            or ConnectionField.CongestionWindow or ConnectionField.BytesInFlight or ConnectionField.MaxDatagramSize
            or ConnectionField.PathState or ConnectionField.PathStatus or ConnectionField.PtoCount
            or >= ConnectionField.Delivered and <= ConnectionField.LostIsAppLimited => PathField(_path, field),
        ConnectionField.PacketsSent => (ulong)Statistics.PacketsSent,
        ConnectionField.PacketsReceived => (ulong)Statistics.PacketsReceived,
        ConnectionField.PacketsLost => (ulong)Statistics.PacketsLost,
        ConnectionField.BytesSent => (ulong)Statistics.BytesSent,
        ConnectionField.BytesReceived => (ulong)Statistics.BytesReceived,
        ConnectionField.EcnCeReceived => _ecnCeReceived,
        ConnectionField.HandshakeConfirmed => _handshakeConfirmed ? 1UL : 0UL,
        ConnectionField.AckElicitingThreshold => (ulong)_spaces[2].Numbers.Acks.AckElicitingThreshold,
        ConnectionField.MaxAckDelay => (ulong)_spaces[2].Numbers.Acks.MaxAckDelayUs,
        ConnectionField.CongestionWindowCap => (ulong)_windowCap,
        ConnectionField.PacingRateCap => (ulong)_pacingCap,
        ConnectionField.MaxPathId => _mp is { } mp ? mp.LocalMaxPathId : 0,
        ConnectionField.MaxStreamWindow => (ulong)Math.Max(_options.MaxStreamWindow, _options.InitialMaxStreamData),
        ConnectionField.MaxConnectionWindow => _streams.ConnectionReceiveCredit.MaxWindow,
        _ => 0,
    };

    /// <summary>
    /// Reads a field of path <paramref name="pathId"/> for a plugin (multipath; path 0 without it): its RTT,
    /// window, bytes in flight, datagram size, bytes, state, status and PTO count; other fields are the
    /// connection's. A path that is not open reads 0 (<see cref="ConnectionField.PathState"/> 0: none).
    /// </summary>
    public ulong GetPathField(ulong pathId, ConnectionField field)
    {
        var p = pathId == 0 ? (_mp is null || _mp.PathOf(0) is not null ? _path : null) : pathId <= uint.MaxValue ? _mp?.PathOf((uint)pathId) : null;
        return p is null ? 0 : PathField(p, field);
    }

    private ulong PathField(PathState p, ConnectionField field) =>
        field switch
        {
            ConnectionField.SmoothedRtt => (ulong)p.Rtt.SmoothedRtt,
            ConnectionField.MinRtt => (ulong)Math.Max(0, p.Rtt.MinRtt),
            ConnectionField.LatestRtt => (ulong)Math.Max(0, p.Rtt.LatestRtt),
            ConnectionField.RttVar => (ulong)p.Rtt.RttVar,
            ConnectionField.CongestionWindow => (ulong)p.Congestion.Window,
            ConnectionField.BytesInFlight => (ulong)p.Congestion.BytesInFlight,
            ConnectionField.MaxDatagramSize => (ulong)p.DatagramSize,
            ConnectionField.BytesSent => (ulong)(_mp is null ? Statistics.BytesSent : p.BytesSentTotal),
            ConnectionField.BytesReceived => (ulong)(_mp is null ? Statistics.BytesReceived : p.BytesReceivedTotal),
            ConnectionField.PathState => p.Abandoned ? 3UL : p.Validated || _mp is null ? 2UL : 1UL,
            ConnectionField.PathStatus => p.LocalStatus == PathStatus.Backup || p.PeerStatus == PathStatus.Backup ? 1UL : 0UL,
            ConnectionField.PtoCount => (ulong)p.Recovery.PtoCount,
            // The delivery-rate sample (draft-ietf-ccwg-bbr-06 §4.1.2) exists while the path's controller is behind the table.
            >= ConnectionField.Delivered and <= ConnectionField.LostIsAppLimited =>
                p.Congestion is OperationCongestionController a ? a.SampleField(field) : 0,
            _ => GetField(field),
        };

    /// <summary>Writes a read-write field; false for read-only fields or values out of range.</summary>
    public bool TrySetField(ConnectionField field, ulong value)
    {
        NoteActivity();
        switch (field)
        {
            case ConnectionField.AckElicitingThreshold when value is >= 1 and <= 1000:
                _spaces[2].Numbers.Acks.AckElicitingThreshold = (int)value;
                return true;
            case ConnectionField.MaxAckDelay when value <= 1UL << 24:
                _spaces[2].Numbers.Acks.MaxAckDelayUs = (long)value;
                return true;
            // 0 (none) or a window of at least two datagrams (RFC 9002 §7.2's minimum): never a stall.
            case ConnectionField.CongestionWindowCap when value == 0 || (value >= 2UL * (ulong)_path.DatagramSize && value <= long.MaxValue):
                _windowCap = (long)value;
                ResolveComponents();
                return true;
            // 0 (none) or at least one datagram per second.
            case ConnectionField.PacingRateCap when value == 0 || (value >= (ulong)_path.DatagramSize && value <= long.MaxValue):
                _pacingCap = (long)value;
                ResolveComponents();
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// True while frame extensions are registered: their <see cref="IFrameExtension.HasPending"/> may turn true
    /// from outside the connection, so the endpoint polls such a connection on every pass (never parks it).
    /// </summary>
    internal bool HasFrameExtensions => _frameExtensions.Count > 0;

    /// <summary>Adds a frame type handled outside the core (1-RTT packets only).</summary>
    public void RegisterFrameExtension(IFrameExtension extension)
    {
        NoteActivity();
        ArgumentNullException.ThrowIfNull(extension);
        if (Wire.FrameTypes.IsKnown(extension.FrameType))
            throw new ArgumentException($"frame type 0x{extension.FrameType:x} belongs to the core", nameof(extension));
        if (!_frameExtensions.TryAdd(extension.FrameType, extension))
            throw new InvalidOperationException($"frame type 0x{extension.FrameType:x} is already registered");
        _frameExtensionList = [.. _frameExtensions.Values];
    }

    /// <summary>Removes a frame extension; frames of that type then close the connection as unknown.</summary>
    public bool UnregisterFrameExtension(ulong frameType)
    {
        NoteActivity();
        if (!_frameExtensions.Remove(frameType)) return false;
        _frameExtensionList = [.. _frameExtensions.Values];
        return true;
    }

    /// <summary>Transport parameters the peer sent that the core does not know (plugins read them).</summary>
    public IReadOnlyList<(ulong Id, byte[] Value)> PeerExtraTransportParameters =>
        (IReadOnlyList<(ulong Id, byte[] Value)>?)_peerParameters?.Unknown ?? [];

    /// <summary>Calls <paramref name="callback"/> with the time once <paramref name="atUs"/> is reached; returns an id.</summary>
    public long ScheduleTimer(long atUs, Action<long> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return ScheduleTimer(atUs, (now, _) => callback(now));
    }

    /// <summary>
    /// Calls <paramref name="callback"/> with the time and the timer's id once <paramref name="atUs"/>
    /// is reached; returns that id. One cached delegate can serve every timer of its owner, so a timer
    /// that re-arms itself allocates nothing.
    /// </summary>
    public long ScheduleTimer(long atUs, Action<long, long> callback)
    {
        NoteActivity();
        ArgumentNullException.ThrowIfNull(callback);
        long id = _nextTimerId++;
        _timers.Add((atUs, id, callback));
        return id;
    }

    /// <summary>Cancels a timer from <c>ScheduleTimer</c>; false if it already fired or was cancelled.</summary>
    public bool CancelTimer(long id)
    {
        NoteActivity();
        for (int i = 0; i < _timers.Count; i++)
        {
            if (_timers[i].Id != id) continue;
            _timers.RemoveAt(i);
            return true;
        }
        return false;
    }

    /// <summary>Tells the application something about a plugin (attached, detached, refused...).</summary>
    public void RaisePluginEvent(string pluginId, string message)
    {
        _qlog?.PluginEvent(_lastNowUs, pluginId, message);
        Raise(new ConnectionEvent(ConnectionEventKind.Plugin, Reason: message, Data: Encoding.UTF8.GetBytes(pluginId)));
    }

    private long? NextPluginTimer()
    {
        long? t = null;
        foreach (var timer in _timers) if (t is null || timer.AtUs < t) t = timer.AtUs;
        return t;
    }

    private void RunPluginTimers(long nowUs)
    {
        if (_timers.Count == 0) return;
        for (int guard = 0; guard < 64; guard++)
        {
            int index = DueTimer(nowUs);
            if (index < 0) return;
            var timer = _timers[index];
            _timers.RemoveAt(index);
            try
            {
                Operations.NoteActivity();
                timer.Callback(nowUs, timer.Id);
            }
            catch (Exception ex)
            {
                RaisePluginEvent("timer", "timer callback failed: " + ex.Message);
            }
        }
    }

    /// <summary>Index of the first timer due at <paramref name="nowUs"/>, or -1 (no closure: runs on every timer pass).</summary>
    private int DueTimer(long nowUs)
    {
        for (int i = 0; i < _timers.Count; i++)
            if (_timers[i].AtUs <= nowUs) return i;
        return -1;
    }

    private void OnPacketSentHook(SentPacket p, PathState path)
    {
        if (Operations.IsHooked(OperationId.PacketAfterSend))
            Operations.Invoke(OperationId.PacketAfterSend, 0, p.PacketNumber, (ulong)p.Size, (ulong)p.Space, p.AckEliciting ? 1UL : 0UL, path.Id);
    }

    private void NotifyStateChange()
    {
        if (Operations.IsHooked(OperationId.ConnOnStateChange))
            Operations.Invoke(OperationId.ConnOnStateChange, 0, (ulong)_state);
    }
}
