using Pliant.Plugins.Abi;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Host;

/// <summary>
/// One plugin instance bound to one connection: the environment its host functions reach, its
/// operation hooks, frames and timers, and the clean-up that restores the connection when it detaches.
/// </summary>
internal sealed class PluginBinding : IPluginEnvironment
{
    private readonly IConnectionSite _site;
    private readonly List<IDisposable> _hooks = [];
    private readonly Dictionary<ulong, PluginFrame> _frames = [];
    private readonly Dictionary<long, int> _timers = []; // pending: handle → the plugin's timer id
    private readonly Dictionary<int, ulong> _savedFields = [];
    private Action<int>? _onTimer;

    public PluginBinding(IConnectionSite site, PluginModule module, PluginOrigin origin)
    {
        _site = site;
        Owner = "plugin:" + module.Id;
        Instance = new PluginInstance(module, origin, this);
        Instance.Faulted += (_, reason) => Unbind("detached: " + reason);
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
                var fn = Instance.Export<Action>(b.Export);
                string what = $"{b.Operation} ({b.Anchor})";
                var check = ResultInvariants.For(b.Operation, b.Anchor);
                bool capOnly = Instance.Origin == PluginOrigin.Peer && b.Anchor == "replace" &&
                               b.Operation is "cc.window" or "cc.pacing_rate";
                _hooks.Add(_site.AttachOperation(b.Operation, b.Anchor, (ref OperationArgs a) => Invoke(fn, what, check, capOnly, ref a), Owner));
            }
            foreach (var f in m.Frames)
            {
                var frame = new PluginFrame(Instance, f);
                _site.RegisterFrame(frame);
                _frames[f.Type] = frame;
            }
            if (m.TransportParameters.Any(t => t.Process != null))
            {
                if (_site.PeerParametersKnown) _deliverPeerParameters = true;
                else _hooks.Add(_site.AttachOperation("conn.on_handshake_done", "post", (ref OperationArgs _) => DeliverPeerParameters(), Owner));
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Release();
            Instance.MarkDetached("attach failed: " + e.Message);
            throw new PluginLoadException($"plugin {Id} cannot attach: {e.Message}", e);
        }
        _site.RaiseEvent(Id, $"attached: {Id}@{Instance.Module.Version} ({Instance.Origin.ToString().ToLowerInvariant()}, sha256 {Instance.Module.HashHex[..16]})");
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
            foreach (var (id, value) in _site.PeerTransportParameters)
            {
                if (id != spec.Id) continue;
                var process = Instance.Export<Func<int, int>>(spec.Process);
                int rc = 0;
                Instance.WithInput(value, () => Instance.Guard($"transport parameter 0x{id:x} process", () => rc = process(value.Length)) ? 1 : 0);
                if (rc < 0) Instance.Fault($"transport parameter 0x{id:x} rejected by the plugin ({rc})");
            }
        }
    }

    private void Invoke(Action fn, string what, ResultInvariants.Check? check, bool capOnly, ref OperationArgs a)
    {
        ulong native = a.Result;
        if (!Instance.IsAttached) return;
        Instance.Args = new CallArgs { A0 = a.A0, A1 = a.A1, A2 = a.A2, A3 = a.A3, Result = a.Result };
        if (!Instance.Guard(what, fn) || !Instance.Args.ResultSet) return;
        if (check != null && check(Instance.Args.Result, this) is { } broken)
        {
            Instance.Fault($"broken invariant in {what}: {broken}");
            return;
        }
        ulong result = Instance.Args.Result;
        // A plugin pushed by the peer may lower our window or pacing rate, never raise it: the peer
        // must not be able to switch off our congestion control (0 as a pacing rate means "no cap").
        if (capOnly && native != 0 && (result > native || result == 0)) result = native;
        a.Result = result;
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
        _site.RaiseEvent(Id, message);
        if (CloseOnFault is ulong code)
        {
            // Deferred to the connection's next timer run: the fault may be in the middle of building a packet.
            string reason = $"plugin {Id}: {Instance.DetachReason}";
            _site.ScheduleTimer(_site.NowUs, (_, _) => _site.Close(code, reason));
        }
    }

    private void Release()
    {
        foreach (var h in _hooks) h.Dispose();
        _hooks.Clear();
        _site.DetachOwner(Owner);
        foreach (var type in _frames.Keys) _site.UnregisterFrame(type);
        _frames.Clear();
        foreach (var t in _timers.Keys) _site.CancelTimer(t);
        _timers.Clear();
        foreach (var (field, value) in _savedFields) _site.TrySetField(field, value);
        _savedFields.Clear();
    }

    // IPluginEnvironment

    public long NowUs => _site.NowUs;
    public ulong GetField(int field) => _site.GetField(field);
    /// <summary>Writes a field, remembering its value before the plugin's first write so detaching restores it.</summary>
    public bool TrySetField(int field, ulong value)
    {
        if (!Instance.IsAttached) return false;
        ulong before = _site.GetField(field);
        if (!_site.TrySetField(field, value)) return false;
        _savedFields.TryAdd(field, before);
        return true;
    }
    public void EmitEvent(string text) => _site.RaiseEvent(Id, text);
    public void Log(string text) => _site.RaiseEvent(Id, "log: " + text);
    public bool SendDatagram(ReadOnlySpan<byte> data) => _site.SendDatagram(data);

    public bool ReserveFrame(ulong type)
    {
        if (!_frames.TryGetValue(type, out var f) || f.Spec.Write == null) return false;
        f.Reserve();
        _site.NoteActivity(); // reserved from an application call, the frame must still go out
        return true;
    }

    public void SetTimer(long atUs, int id)
    {
        if (_onTimer == null) throw new PluginFaultException("set_timer without an on_timer export in the manifest");
        if (_timers.Count >= 64) throw new PluginFaultException("more than 64 pending timers");
        // One callback for every timer of this binding (a sampling timer re-arms itself on each
        // firing: nothing is allocated per firing).
        long handle = _site.ScheduleTimer(atUs, _timerFired);
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
