namespace Pliant.Quic.Operations;

/// <summary>
/// The per-connection table of protocol operations (DESIGN §3). Native code calls
/// <see cref="IsHooked(OperationId)"/> (one array read) before doing any work for an operation, so
/// a connection without plugins pays nothing more. Handlers are kept in copy-on-write arrays:
/// attaching or detaching during a call is safe.
/// </summary>
/// <remarks>
/// The single policy for a misbehaving handler (DESIGN §4 "Limits"): a handler that throws, or a
/// replacement whose result breaks the operation's <see cref="ResultBound"/> (<see cref="OperationCatalog"/>),
/// gets its owner detached from every operation and the native result is used for the call in progress
/// and every later one. Nothing is clamped silently.
/// </remarks>
public sealed class OperationTable
{
    private sealed record Hook(string Owner, OperationHandler Handler, Action<string>? OnFault);

    private readonly Hook[][] _pre = new Hook[(int)OperationId.Count][];
    private readonly Hook[][] _post = new Hook[(int)OperationId.Count][];
    private readonly Hook?[] _replace = new Hook?[(int)OperationId.Count];
    private readonly bool[] _hooked = new bool[(int)OperationId.Count];
    private ulong _activity;

    internal OperationTable()
    {
        for (int i = 0; i < _pre.Length; i++) { _pre[i] = []; _post[i] = []; }
    }

    /// <summary>Every operation name the table knows (<see cref="OperationCatalog.All"/>).</summary>
    public static IReadOnlyList<string> KnownOperations { get; } = [.. OperationCatalog.All.Select(d => d.Name)];

    /// <summary>True when <paramref name="operation"/> is a known name supporting <paramref name="anchor"/>.</summary>
    public static bool IsValid(string operation, Anchor anchor) =>
        OperationCatalog.TryGet(operation, out var d) && d.Supports(anchor);

    /// <summary>
    /// Raised (by the connection) after an owner was detached for a handler that threw or a broken bound,
    /// when the hook was attached without its own fault callback: owner, reason.
    /// </summary>
    internal Action<string, string>? HandlerFailed { get; set; }

    /// <summary>Raised when the set of hooks changed, so the connection can re-resolve components.</summary>
    internal Action? Changed { get; set; }

    /// <summary>The connection's maximum datagram size, for bounds in datagrams (1200 until set).</summary>
    internal Func<int>? MaxDatagramSize { get; set; }

    /// <summary>The connection's advertised max_ack_delay in µs, for bounds that may not exceed it (none until set).</summary>
    internal Func<long>? MaxAckDelayUs { get; set; }

    /// <summary>Attaches <paramref name="handler"/>; dispose the result (or <see cref="DetachOwner"/>) to remove it.</summary>
    /// <exception cref="ArgumentException">Unknown operation, or an anchor it does not offer.</exception>
    /// <exception cref="InvalidOperationException">Another owner already replaces it.</exception>
    public IDisposable Attach(string operation, Anchor anchor, OperationHandler handler, string owner)
    {
        if (!OperationCatalog.TryGet(operation, out var d))
            throw new ArgumentException($"unknown protocol operation '{operation}'", nameof(operation));
        return Attach(d, anchor, handler, owner);
    }

    /// <summary>
    /// Attaches <paramref name="handler"/> to <paramref name="operation"/>. When the handler throws or (a
    /// replacement) breaks the operation's result bound, every hook of <paramref name="owner"/> is detached and
    /// <paramref name="onFault"/> is called with the reason (without one, the connection raises a plugin event).
    /// </summary>
    /// <exception cref="ArgumentException">An anchor the operation does not offer.</exception>
    /// <exception cref="InvalidOperationException">Another owner already replaces it.</exception>
    public IDisposable Attach(OperationDefinition operation, Anchor anchor, OperationHandler handler, string owner, Action<string>? onFault = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (!operation.Supports(anchor))
            throw new ArgumentException($"operation '{operation.Name}' has no {OperationDefinition.AnchorName(anchor)} anchor", nameof(anchor));
        var hook = new Hook(owner, handler, onFault);
        int i = (int)operation.Id;
        switch (anchor)
        {
            case Anchor.Replace:
                if (_replace[i] is { } taken && taken.Owner != owner)
                    throw new InvalidOperationException($"'{operation.Name}' is already replaced by '{taken.Owner}'");
                _replace[i] = hook;
                break;
            case Anchor.Pre:
                _pre[i] = [.. _pre[i], hook];
                break;
            default:
                _post[i] = [.. _post[i], hook];
                break;
        }
        Refresh(i);
        Changed?.Invoke();
        return new Detacher(this, operation.Id, hook);
    }

    /// <summary>Removes every handler of <paramref name="owner"/>, restoring native implementations.</summary>
    public void DetachOwner(string owner)
    {
        bool any = false;
        for (int i = 0; i < _hooked.Length; i++)
        {
            if (_replace[i]?.Owner == owner) { _replace[i] = null; any = true; }
            if (Array.Exists(_pre[i], h => h.Owner == owner)) { _pre[i] = Array.FindAll(_pre[i], h => h.Owner != owner); any = true; }
            if (Array.Exists(_post[i], h => h.Owner == owner)) { _post[i] = Array.FindAll(_post[i], h => h.Owner != owner); any = true; }
            Refresh(i);
        }
        if (any) Changed?.Invoke();
    }

    /// <summary>True when any handler is attached to <paramref name="operation"/>.</summary>
    public bool IsHooked(string operation) => OperationCatalog.TryGet(operation, out var d) && _hooked[(int)d.Id];

    /// <summary>True when a handler replaces <paramref name="operation"/>.</summary>
    public bool IsReplaced(string operation) => OperationCatalog.TryGet(operation, out var d) && _replace[(int)d.Id] is not null;

    /// <summary>Handlers attached, over every operation and anchor (for tests and diagnostics).</summary>
    public int HookCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _hooked.Length; i++) n += _pre[i].Length + _post[i].Length + (_replace[i] is null ? 0 : 1);
            return n;
        }
    }

    internal bool IsHooked(OperationId id) => _hooked[(int)id];

    internal bool IsReplaced(OperationId id) => _replace[(int)id] is not null;

    /// <summary>True when any cc.* operation is hooked (the connection then runs its adapter controller).</summary>
    internal bool AnyCongestionHook =>
        _hooked[(int)OperationId.CcOnPacketSent] || _hooked[(int)OperationId.CcOnAck] ||
        _hooked[(int)OperationId.CcOnCongestionEvent] || _hooked[(int)OperationId.CcOnEcn] ||
        _hooked[(int)OperationId.CcWindow] || _hooked[(int)OperationId.CcPacingRate];

    /// <summary>
    /// Changes whenever code outside the core may have run for this connection: an operation was
    /// invoked, a hook attached or detached, or the connection ran a plugin's timer or frame callback
    /// (<see cref="NoteActivity"/>). Answers of a replaced operation that depend only on the plugin's
    /// state (e.g. <c>cc.window</c>) can be reused while it stays the same.
    /// </summary>
    internal ulong Activity => _activity;

    /// <summary>Records that code outside the table (a plugin timer, a plugin frame callback) is about to run.</summary>
    internal void NoteActivity() => _activity++;

    /// <summary>
    /// Runs pre hooks, the replacement (or keeps <paramref name="nativeResult"/>), then post hooks. A
    /// replacement whose result breaks the operation's bound is detached and <paramref name="nativeResult"/> used.
    /// </summary>
    internal ulong Invoke(OperationId id, ulong nativeResult, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, ulong path = 0)
    {
        _activity++;
        var args = new OperationArgs { A0 = a0, A1 = a1, A2 = a2, A3 = a3, Path = path, Result = nativeResult };
        int i = (int)id;
        foreach (var h in _pre[i]) Call(id, h, Anchor.Pre, ref args);
        if (_replace[i] is { } r)
        {
            Call(id, r, Anchor.Replace, ref args);
            if (!ReferenceEquals(_replace[i], r)) args.Result = nativeResult; // the replacement failed and was detached
            else if (OperationCatalog.Get(id).Bound is { } bound &&
                     bound.Check(args.Result, (ulong)(MaxDatagramSize?.Invoke() ?? 1200), (ulong)(MaxAckDelayUs?.Invoke() ?? long.MaxValue)) is { } broken)
            {
                Fault(r, $"broken invariant in {OperationCatalog.Get(id).Name} (replace): {broken}");
                args.Result = nativeResult;
            }
        }
        foreach (var h in _post[i]) Call(id, h, Anchor.Post, ref args);
        return args.Result;
    }

    /// <summary>
    /// The connection found that the replacement's last answer for <paramref name="id"/> breaks a rule of the operation
    /// that only the connection's state can check (<see cref="ResultBound.Rule"/>, e.g. "an open stream"): the single
    /// policy, as for a broken bound — the owner is detached and the native implementation resumes.
    /// </summary>
    internal void Reject(OperationId id, string reason)
    {
        if (_replace[(int)id] is { } r) Fault(r, $"broken invariant in {OperationCatalog.Get(id).Name} (replace): {reason}");
    }

    private void Call(OperationId id, Hook hook, Anchor anchor, ref OperationArgs args)
    {
        try
        {
            hook.Handler(ref args);
        }
        catch (Exception ex)
        {
            // A misbehaving handler affects only its owner: detach it, keep the connection going.
            Fault(hook, $"fault in {OperationCatalog.Get(id).Name} ({OperationDefinition.AnchorName(anchor)}): {ex.Message}");
        }
    }

    /// <summary>The single policy: detach every hook of the owner, then tell whoever needs to know why.</summary>
    private void Fault(Hook hook, string reason)
    {
        DetachOwner(hook.Owner);
        if (hook.OnFault is { } onFault) onFault(reason);
        else HandlerFailed?.Invoke(hook.Owner, reason);
    }

    private void Refresh(int i)
    {
        _hooked[i] = _replace[i] is not null || _pre[i].Length > 0 || _post[i].Length > 0;
        _activity++;
    }

    private void Remove(OperationId id, Hook hook)
    {
        int i = (int)id;
        if (ReferenceEquals(_replace[i], hook)) _replace[i] = null;
        _pre[i] = Array.FindAll(_pre[i], h => !ReferenceEquals(h, hook));
        _post[i] = Array.FindAll(_post[i], h => !ReferenceEquals(h, hook));
        Refresh(i);
        Changed?.Invoke();
    }

    private sealed class Detacher(OperationTable table, OperationId id, Hook hook) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            table.Remove(id, hook);
        }
    }
}
