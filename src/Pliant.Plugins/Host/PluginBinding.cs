using Pliant.Plugins.Abi;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Host;

/// <summary>
/// One plugin instance bound to one connection: what its host functions reach (through the connection's
/// <see cref="IConnectionEnvironment"/>, the one interface between host and connection), its operation
/// hooks, frames and timers, and the clean-up that restores the connection when it detaches.
/// </summary>
internal sealed class PluginBinding
{
    private readonly IConnectionEnvironment _conn;
    private readonly List<IDisposable> _hooks = [];
    private readonly Dictionary<ulong, PluginFrame> _frames = [];
    private readonly Dictionary<long, int> _timers = []; // pending: handle → the plugin's timer id
    private readonly Dictionary<ConnectionField, ulong> _savedFields = [];
    private readonly Action<string> _onFault;
    private Action<int>? _onTimer;

    public PluginBinding(IConnectionEnvironment connection, PluginModule module, PluginOrigin origin)
    {
        _conn = connection;
        Owner = "plugin:" + module.Id;
        Instance = new PluginInstance(module, origin, this);
        Instance.Faulted += (_, reason) => Unbind("detached: " + reason);
        // A broken result bound found by the operation table (which has already detached our hooks).
        _onFault = reason => Instance.Fault(reason);
        _timerFired = OnTimerFired;
        _runTimer = () => _onTimer!(_firingTimerId);
    }

    public PluginInstance Instance { get; }

    /// <summary>When set, a fault also closes the connection with this application error code.</summary>
    public ulong? CloseOnFault { get; init; }
    public string Owner { get; }
    private string Id => Instance.Module.Id;

    /// <summary>Binds every manifest entry; on failure undoes what was bound and throws <see cref="PluginLoadException"/>.</summary>
    public void Bind()
    {
        var m = Instance.Module.Manifest;
        try
        {
            if (m.OnTimer != null) _onTimer = Instance.Export<Action<int>>(m.OnTimer);
            foreach (var b in m.Bindings)
            {
                // The manifest validator checked both against the catalogue at load time.
                if (!OperationCatalog.TryGet(b.Operation, out var op) || !OperationDefinition.TryParseAnchor(b.Anchor, out var anchor))
                    throw new ArgumentException($"binding of unknown operation or anchor {b.Operation}:{b.Anchor}");
                var fn = Instance.Export<Action>(b.Export);
                string what = $"{b.Operation} ({b.Anchor})";
                // A peer's replacement of an operation the catalogue marks RemoteUse.Cap is a cap only. (Other
                // replacements by a peer exist only when the operator's trust policy allowed them.)
                var remote = Instance.Origin == PluginOrigin.Peer && anchor == Anchor.Replace && op.Remote == RemoteUse.Cap ? op : null;
                _hooks.Add(_conn.Operations.Attach(op, anchor, (ref OperationArgs a) => Invoke(fn, what, remote, ref a), Owner, _onFault));
            }
            foreach (var f in m.Frames)
            {
                var frame = new PluginFrame(Instance, f);
                _conn.RegisterFrameExtension(frame);
                _frames[f.Type] = frame;
            }
            if (m.TransportParameters.Any(t => t.Process != null))
            {
                if (_conn.PeerParametersKnown) _deliverPeerParameters = true;
                else _hooks.Add(_conn.Operations.Attach(OperationCatalog.ConnOnHandshakeDone, Anchor.Post, (ref OperationArgs _) => DeliverPeerParameters(), Owner, _onFault));
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Release();
            Instance.MarkDetached("attach failed: " + e.Message);
            throw new PluginLoadException($"plugin {Id} cannot attach: {e.Message}", e);
        }
        _conn.RaisePluginEvent(Id, $"attached: {Id}@{Instance.Module.Version} ({Instance.Origin.ToString().ToLowerInvariant()}, sha256 {Instance.Module.HashHex[..16]})");
        if (m.Init != null)
        {
            var init = Instance.Export<Action>(m.Init);
            Instance.Guard("init", init);
        }
        if (_deliverPeerParameters) DeliverPeerParameters();
    }

    private bool _deliverPeerParameters;

    /// <summary>Hands the peer's values of the plugin's transport parameters to their process exports.</summary>
    private void DeliverPeerParameters()
    {
        foreach (var spec in Instance.Module.Manifest.TransportParameters)
        {
            if (spec.Process == null || !Instance.IsAttached) continue;
            foreach (var (id, value) in _conn.PeerExtraTransportParameters)
            {
                if (id != spec.Id) continue;
                var process = Instance.Export<Func<int, int>>(spec.Process);
                int rc = 0;
                Instance.WithInput(value, () => Instance.Guard($"transport parameter 0x{id:x} process", () => rc = process(value.Length)) ? 1 : 0);
                if (rc < 0) Instance.Fault($"transport parameter 0x{id:x} rejected by the plugin ({rc})");
            }
        }
    }

    /// <summary>
    /// One call into the plugin. The result's bound is checked by the operation table (a broken one comes
    /// back through <see cref="_onFault"/>); here only the remote peer's cap rule applies.
    /// </summary>
    private void Invoke(Action fn, string what, OperationDefinition? remote, ref OperationArgs a)
    {
        if (!Instance.IsAttached) return;
        Instance.Args = new CallArgs { A0 = a.A0, A1 = a.A1, A2 = a.A2, A3 = a.A3, Path = a.Path, Result = a.Result };
        if (!Instance.Guard(what, fn) || !Instance.Args.ResultSet) return;
        // A plugin pushed by the peer may lower our window or pacing rate, never raise it: the peer
        // must not be able to switch off our congestion control (RemoteUse.Cap in the catalogue).
        a.Result = remote is null ? Instance.Args.Result : remote.RemoteResult(a.Result, Instance.Args.Result);
    }

    /// <summary>Detaches by request.</summary>
    public void Detach(string reason)
    {
        Instance.MarkDetached(reason);
        Release();
    }

    private void Unbind(string message)
    {
        Release();
        _conn.RaisePluginEvent(Id, message);
        if (CloseOnFault is ulong code)
        {
            // Deferred to the connection's next timer run: the fault may be in the middle of building a packet.
            string reason = $"plugin {Id}: {Instance.DetachReason}";
            _conn.ScheduleTimer(_conn.NowUs, (_, _) => _conn.CloseWithApplicationError(code, reason));
        }
    }

    private void Release()
    {
        foreach (var h in _hooks) h.Dispose();
        _hooks.Clear();
        _conn.Operations.DetachOwner(Owner);
        foreach (var type in _frames.Keys) _conn.UnregisterFrameExtension(type);
        _frames.Clear();
        foreach (var t in _timers.Keys) _conn.CancelTimer(t);
        _timers.Clear();
        foreach (var (field, value) in _savedFields) _conn.TrySetField(field, value);
        _savedFields.Clear();
    }

    // What the plugin's host functions reach (PluginInstance.Abi).

    public long NowUs => _conn.NowUs;

    public ulong GetField(int field) => _conn.GetField((ConnectionField)field);

    public ulong GetPathField(ulong pathId, int field) => _conn.GetPathField(pathId, (ConnectionField)field);

    public ulong GetStreamField(ulong streamId, int field) => _conn.GetStreamField(streamId, (StreamField)field);

    public ulong StreamCandidate(int index) => _conn.StreamCandidate(index);

    /// <summary>Writes a field, remembering its value before the plugin's first write so detaching restores it.</summary>
    public bool TrySetField(int field, ulong value)
    {
        if (!Instance.IsAttached) return false;
        var f = (ConnectionField)field;
        ulong before = _conn.GetField(f);
        if (!_conn.TrySetField(f, value)) return false;
        _savedFields.TryAdd(f, before);
        return true;
    }

    public void EmitEvent(string text) => _conn.RaisePluginEvent(Id, text);

    public void Log(string text) => _conn.RaisePluginEvent(Id, "log: " + text);

    public bool SendDatagram(ReadOnlySpan<byte> data) => _conn.SendDatagram(data);

    public bool ReserveFrame(ulong type)
    {
        if (!_frames.TryGetValue(type, out var f) || f.Spec.Write == null) return false;
        f.Reserve();
        _conn.NoteActivity(); // reserved from an application call, the frame must still go out
        return true;
    }

    public void SetTimer(long atUs, int id)
    {
        if (_onTimer == null) throw new PluginFaultException("set_timer without an on_timer export in the manifest");
        if (_timers.Count >= 64) throw new PluginFaultException("more than 64 pending timers");
        // One callback for every timer of this binding (a sampling timer re-arms itself on each
        // firing: nothing is allocated per firing).
        long handle = _conn.ScheduleTimer(atUs, _timerFired);
        _timers[handle] = id;
    }

    private readonly Action<long, long> _timerFired;
    private readonly Action _runTimer;
    private int _firingTimerId;

    private void OnTimerFired(long nowUs, long handle)
    {
        if (!_timers.Remove(handle, out int id) || !Instance.IsAttached) return;
        _firingTimerId = id;
        Instance.Guard("on_timer", _runTimer);
    }
}
