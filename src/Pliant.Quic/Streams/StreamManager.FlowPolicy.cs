namespace Pliant.Quic.Streams;

// The flow-control credit policy: when and how much MAX_DATA / MAX_STREAM_DATA credit to grant (RFC 9000 §4.2), and
// the flow.window_update operation that may replace the native rule (half the window consumed, auto-tuned).
public sealed partial class StreamManager
{
    private Func<ulong, FlowControlReceiver, ulong>? _windowUpdateOverride;

    /// <summary>The id <c>flow.window_update</c> names the connection-level window (MAX_DATA) by: 2^62, no stream's.</summary>
    public const ulong ConnectionLevel = NoStream;

    /// <summary>
    /// The replacement of <c>flow.window_update</c>, when one is attached: asked after the application consumed data,
    /// once for the stream (id) and once for the connection (<see cref="ConnectionLevel"/>), with the receiver → the
    /// window to grant beyond the bytes consumed (0: no update now). While set, the native half-window rule is off.
    /// </summary>
    internal Func<ulong, FlowControlReceiver, ulong>? WindowUpdateOverride
    {
        get => _windowUpdateOverride;
        set
        {
            _windowUpdateOverride = value;
            bool policy = value is not null;
            _connRecv.PolicyDriven = policy;
            foreach (var s in _streams.Values)
                if (s.RecvCredit is { } c) c.PolicyDriven = policy;
        }
    }

    /// <summary>Called with the reason when a <see cref="WindowUpdateOverride"/> answer breaks the operation's rules.</summary>
    internal Action<string>? WindowUpdateRejected { get; set; }

    /// <summary>
    /// Asks the policy about one receiver after the application consumed data. An answer above the receiver's largest
    /// window (the receive limit the connection enforces, <see cref="FlowControlReceiver.MaxWindow"/>) breaks the
    /// operation's rule, and so does withholding credit when the peer has none left (everything advertised was
    /// consumed: it would wait forever); both detach the policy, and the native rule decides this time.
    /// </summary>
    private bool AskWindow(Func<ulong, FlowControlReceiver, ulong> policy, ulong id, FlowControlReceiver credit)
    {
        ulong window = policy(id, credit);
        string level = id == ConnectionLevel ? "the connection" : $"stream {id}";
        if (window > credit.MaxWindow)
        {
            WindowUpdateRejected?.Invoke($"window {window} for {level} is above its receive limit ({credit.MaxWindow} bytes)");
            return NativeGrant(credit);
        }
        if (credit.Grant(window)) return true;
        if (credit.Consumed >= credit.Limit)
        {
            WindowUpdateRejected?.Invoke($"no credit for {level} while the peer has none left (all {credit.Limit} bytes consumed)");
            return NativeGrant(credit);
        }
        return false;
    }

    /// <summary>After a policy was rejected (and detached): the native rule decides whether an update is due.</summary>
    private static bool NativeGrant(FlowControlReceiver credit) => credit.NativeWantsUpdate;

    /// <summary>After the application consumed from stream <paramref name="s"/>: ask the policy about its window.</summary>
    private void AskStreamWindow(StreamState s)
    {
        if (_windowUpdateOverride is { } policy && s.RecvState == RecvState.Recv && AskWindow(policy, s.Id, s.RecvCredit!))
        {
            s.MaxStreamDataPending = true;
            EnqueueControl(s);
        }
    }

    /// <summary>After connection-level credit was consumed (read, or discarded data): ask the policy about the connection's window.</summary>
    private void AskConnectionWindow()
    {
        if (_windowUpdateOverride is { } policy) AskWindow(policy, ConnectionLevel, _connRecv);
    }
}
