using Pliant.Plugins.Trust;

namespace Pliant.Plugins.Exchange;

public sealed partial class PluginExchange
{
    /// <summary>How often a connection looks for loads finished on the thread pool (µs).</summary>
    internal const long LoadPollIntervalUs = 1_000;

    private readonly List<PendingLoad> _loading = [];
    private long _tickId = -1, _tickAtUs = long.MaxValue;
    private Action<long, long>? _onTick;
    private bool _closed;

    /// <summary>Modules received and trusted, being loaded on the thread pool now.</summary>
    public int LoadsInProgress => _loading.Count;

    /// <summary>A module accepted by the trust policy whose load runs (or ran) on the thread pool.</summary>
    private sealed record PendingLoad(PluginReference Reference, TrustDecision Decision, PluginReference Announced, byte[] Module, long Reserved, Task<PluginModule> Task);

    /// <summary>
    /// A complete module (or one from the cache): the trust policy decides; an allowed module is loaded,
    /// on the thread pool unless <see cref="PluginExchangeOptions.LoadInBackground"/> is off.
    /// <paramref name="reserved"/> bytes of the budgets stay held until the load ends.
    /// </summary>
    private void Admit(PluginReference reference, byte[] module, long reserved)
    {
        var hash = ContentHash.FromHex(reference.Sha256Hex);
        var decision = _options.TrustPolicy!.Evaluate(module, PluginOrigin.Peer);
        var named = decision.PluginId is { } id ? reference with { Id = id } : reference;
        string? refusal = null;
        if (!_announcedByPeer.TryGetValue(hash, out var announced)) refusal = "not announced in the peer's plugins_for_you";
        else if (decision.PluginId is { } mid && mid != announced.Id) refusal = $"manifest id '{mid}' differs from the announced '{announced.Id}'";
        else if (!decision.Allowed) refusal = decision.Reason;
        if (refusal is not null)
        {
            Release(reserved);
            Refuse(hash, named, refusal);
            return;
        }
        var load = _options.LoadInBackground
            ? BackgroundLoader.Start(() => _options.Loader(module, _options.Limits))
            : LoadNow(module);
        var pending = new PendingLoad(named, decision, announced!, module, reserved, load);
        if (load.IsCompleted) { FinishLoad(pending); return; }
        _loading.Add(pending);
        ScheduleTick(_connection.NowUs + LoadPollIntervalUs);
    }

    private Task<PluginModule> LoadNow(byte[] module)
    {
        try { return Task.FromResult(_options.Loader(module, _options.Limits)); }
        catch (Exception e) when (e is not OutOfMemoryException) { return Task.FromException<PluginModule>(e); }
    }

    /// <summary>On the connection's thread: a load ended; the module is attached or refused (never a fault).</summary>
    private void FinishLoad(PendingLoad p)
    {
        Release(p.Reserved);
        var hash = ContentHash.FromHex(p.Reference.Sha256Hex);
        if (p.Task.Exception?.InnerException is { } error)
        {
            Refuse(hash, p.Reference, $"could not load: {error.Message}");
            return;
        }
        var module = p.Task.Result;
        try
        {
            // Defence in depth: the decision was made on our reading of the manifest; check the
            // host's own reading too, so no difference between two JSON readers can widen access.
            if (_options.TrustPolicy is { PeerRule: OriginRule.RequireTrust } policy)
                foreach (var b in module.Manifest.Bindings)
                    if (!policy.IsRemoteOperationAllowed(new OperationRequest(b.Operation, b.Anchor)))
                        throw new PluginLoadException($"operation {b.Operation}:{b.Anchor} is not allowed for a remote peer");
            _connection.Inject(module, p.Decision);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Refuse(hash, p.Reference, $"could not load: {e.Message}");
            return;
        }
        _options.Remember(p.Announced, p.Module);
        _outcomes.Add(new PluginExchangeOutcome(p.Reference, true, p.Decision.Reason));
        _connection.RaisePluginEvent(p.Reference.Id, $"injected {p.Reference} from the peer ({p.Decision.Reason})");
    }

    /// <summary>Arms the exchange's timer for <paramref name="atUs"/> unless it is already due earlier.</summary>
    private void ScheduleTick(long atUs)
    {
        if (_closed || atUs >= _tickAtUs) return;
        CancelTick();
        _onTick ??= OnTick;
        _tickAtUs = atUs;
        _tickId = _connection.ScheduleTimer(atUs, _onTick);
    }

    private void CancelTick()
    {
        if (_tickId >= 0) _connection.CancelTimer(_tickId);
        _tickId = -1;
        _tickAtUs = long.MaxValue;
    }

    /// <summary>
    /// The exchange's timer, on the connection's thread: attaches modules whose load finished, refuses
    /// transfers that stalled, and re-arms for the next poll or the next stall deadline.
    /// </summary>
    private void OnTick(long nowUs, long id)
    {
        if (id != _tickId) return;
        _tickId = -1;
        _tickAtUs = long.MaxValue;
        if (_closed) return;
        for (int i = 0; i < _loading.Count; i++)
        {
            if (!_loading[i].Task.IsCompleted) continue;
            var done = _loading[i];
            _loading.RemoveAt(i--);
            FinishLoad(done);
        }
        DropStalledTransfers(nowUs);
        long next = _loading.Count > 0 ? nowUs + LoadPollIntervalUs : long.MaxValue;
        long timeout = (long)_options.ReassemblyIdleTimeout.TotalMicroseconds;
        foreach (var r in _receiving.Values) next = Math.Min(next, r.LastProgressUs + timeout);
        if (next != long.MaxValue) ScheduleTick(next);
    }
}
