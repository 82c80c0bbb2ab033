namespace Pliant.Quic.Operations;

/// <summary>
/// The per-connection table of protocol operations (DESIGN §3). Native code calls
/// <see cref="IsHooked(OperationId)"/> (one array read) before doing any work for an operation, so
/// a connection without plugins pays nothing more. Handlers are kept in copy-on-write arrays:
/// attaching or detaching during a call is safe.
/// </summary>
public sealed class OperationTable
{
    private sealed record Hook(string Owner, OperationHandler Handler);

    private readonly Hook[][] _pre = new Hook[(int)OperationId.Count][];
    private readonly Hook[][] _post = new Hook[(int)OperationId.Count][];
    private readonly Hook?[] _replace = new Hook?[(int)OperationId.Count];
    private readonly bool[] _hooked = new bool[(int)OperationId.Count];
    private ulong _activity;

    internal OperationTable()
    {
        for (int i = 0; i < _pre.Length; i++) { _pre[i] = []; _post[i] = []; }
    }

    /// <summary>Every operation name the table knows.</summary>
    public static IReadOnlyList<string> KnownOperations => OperationNames.ById;

    /// <summary>True when <paramref name="operation"/> is a known name supporting <paramref name="anchor"/>.</summary>
    public static bool IsValid(string operation, Anchor anchor) =>
        OperationNames.TryParse(operation, out var id) && OperationNames.Supports(id, anchor);

    /// <summary>Raised (by the connection) after a handler threw: the owner has been detached.</summary>
    internal Action<string, Exception>? HandlerFailed { get; set; }

    /// <summary>Raised when the set of hooks changed, so the connection can re-resolve components.</summary>
    internal Action? Changed { get; set; }

    /// <summary>Attaches <paramref name="handler"/>; dispose the result (or <see cref="DetachOwner"/>) to remove it.</summary>
    public IDisposable Attach(string operation, Anchor anchor, OperationHandler handler, string owner)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (!OperationNames.TryParse(operation, out var id))
            throw new ArgumentException($"unknown protocol operation '{operation}'", nameof(operation));
        if (!OperationNames.Supports(id, anchor))
            throw new ArgumentException($"operation '{operation}' has no {anchor.ToString().ToLowerInvariant()} anchor", nameof(anchor));
        var hook = new Hook(owner, handler);
        int i = (int)id;
        switch (anchor)
        {
            case Anchor.Replace:
                if (_replace[i] is { } taken && taken.Owner != owner)
                    throw new InvalidOperationException($"'{operation}' is already replaced by '{taken.Owner}'");
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
        return new Detacher(this, id, hook);
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
    public bool IsHooked(string operation) => OperationNames.TryParse(operation, out var id) && _hooked[(int)id];

    /// <summary>True when a handler replaces <paramref name="operation"/>.</summary>
    public bool IsReplaced(string operation) => OperationNames.TryParse(operation, out var id) && _replace[(int)id] is not null;

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

    /// <summary>Runs pre hooks, the replacement (or keeps <paramref name="nativeResult"/>), then post hooks.</summary>
    internal ulong Invoke(OperationId id, ulong nativeResult, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0)
    {
        _activity++;
        var args = new OperationArgs { A0 = a0, A1 = a1, A2 = a2, A3 = a3, Result = nativeResult };
        int i = (int)id;
        foreach (var h in _pre[i]) Call(h, ref args);
        if (_replace[i] is { } r)
        {
            Call(r, ref args);
            if (_replace[i] is null) args.Result = nativeResult; // the replacement failed and was detached
        }
        foreach (var h in _post[i]) Call(h, ref args);
        return args.Result;
    }

    private void Call(Hook hook, ref OperationArgs args)
    {
        try
        {
            hook.Handler(ref args);
        }
        catch (Exception ex)
        {
            // A misbehaving plugin affects only itself: detach it, keep the connection going.
            DetachOwner(hook.Owner);
            HandlerFailed?.Invoke(hook.Owner, ex);
        }
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
