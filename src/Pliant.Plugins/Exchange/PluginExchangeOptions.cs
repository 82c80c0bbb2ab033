using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Pliant.Plugins.Trust;

namespace Pliant.Plugins.Exchange;

/// <summary>A module to push to the peer, with its reference computed once.</summary>
public sealed class PushedPlugin
{
    /// <summary>Wraps module bytes (signature sections included, sent as they are).</summary>
    public PushedPlugin(byte[] wasm)
    {
        ArgumentNullException.ThrowIfNull(wasm);
        Module = wasm;
        Reference = PluginReference.FromModule(wasm);
        Hash = Convert.FromHexString(Reference.Sha256Hex);
    }

    /// <summary>The module as sent.</summary>
    public byte[] Module { get; }

    /// <summary><c>id@sha256</c> of the module.</summary>
    public PluginReference Reference { get; }

    internal byte[] Hash { get; }
}

/// <summary>Settings for <see cref="PluginExchange"/>: what to push, what to accept, and how much to send at once.</summary>
public sealed class PluginExchangeOptions
{
    /// <summary>Modules to push to every peer that accepts pushes.</summary>
    public IList<PushedPlugin> Push { get; } = new List<PushedPlugin>();

    /// <summary>Decides whether a pushed module may run; <c>null</c> refuses every push (and we do not advertise that we accept them).</summary>
    public PluginTrustPolicy? TrustPolicy { get; set; }

    /// <summary>Modules we already have, by content hash (hex); announced in <c>supported_plugins</c> so the peer need not send them, and injected from here when the peer asks for them.</summary>
    /// <remarks>Thread-safe: connections on different drivers may read and fill it at once.</remarks>
    public ConcurrentDictionary<string, byte[]> Cache { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Keep every module accepted from a peer in <see cref="Cache"/> (default true), so later
    /// connections announce it and run it without a transfer — PQUIC's cache, but the first
    /// connection already runs the module too. The cache holds at most <see cref="MaxCachedModules"/>.
    /// </summary>
    public bool RememberAccepted { get; set; } = true;

    /// <summary>Most modules <see cref="RememberAccepted"/> keeps (they are announced in <c>supported_plugins</c>, at most 64).</summary>
    public int MaxCachedModules { get; set; } = 16;

    /// <summary>Host that runs injected modules (shared by connections); a new one when not set.</summary>
    public PluginHost Host { get; set; } = new();

    /// <summary>Limits injected modules run with (<see cref="PluginLimits.Default"/> when null).</summary>
    public PluginLimits? Limits { get; set; }

    /// <summary>Most PLUGIN frame bytes unacknowledged at once (default 32 KiB).</summary>
    public int MaxInFlightBytes { get; set; } = 32 << 10;

    /// <summary>Most bytes of one PLUGIN frame's data (default 1100, below one packet).</summary>
    public int MaxChunkSize { get; set; } = 1100;

    /// <summary>Most modules a peer may have in reassembly at once (default 4); the first chunk of one more is refused.</summary>
    public int MaxConcurrentReceives { get; set; } = 4;

    /// <summary>
    /// Most bytes one connection may hold for modules in reassembly (pages of 4 KiB allocated as data
    /// arrives) and being loaded; default 2 MiB. A transfer that would need more is refused. The largest
    /// module we accept is the smaller of this and the trust policy's <c>MaxModuleSize</c> (and is what
    /// we advertise in <c>supported_plugins</c>).
    /// </summary>
    public long MaxReassemblyBytes { get; set; } = 2 << 20;

    /// <summary>Most separate byte ranges (gaps between them) one transfer may have at once; default 64. One more refuses the module.</summary>
    public int MaxReassemblyRanges { get; set; } = 64;

    /// <summary>
    /// The budget shared with other connections for modules in reassembly and being loaded (default:
    /// <see cref="PluginTransferBudget.Shared"/>, 16 MiB for the process). A transfer that would exceed it is refused.
    /// </summary>
    public PluginTransferBudget TransferBudget { get; set; } = PluginTransferBudget.Shared;

    /// <summary>A transfer that receives no new byte for this long (connection time) is refused and its memory freed; default 30 s.</summary>
    public TimeSpan ReassemblyIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Load (decode, validate, compile) accepted modules on the thread pool and attach them on the
    /// connection's thread when done (default true): a large module never stalls the connection's
    /// driver. Set false for deterministic simulations, where the load then runs inline.
    /// </summary>
    public bool LoadInBackground { get; set; } = true;

    /// <summary>Loads a module for injection (tests replace it to observe or delay loads). Called on the thread pool when <see cref="LoadInBackground"/>.</summary>
    internal Func<byte[], PluginLimits?, PluginModule> Loader { get; set; } = (wasm, limits) => PluginModule.Load(wasm, limits);

    /// <summary>The largest module we can receive: the trust policy's cap, within <see cref="MaxReassemblyBytes"/> (whole pages).</summary>
    internal ulong MaxReceivableModule =>
        (ulong)Math.Min(TrustPolicy?.MaxModuleSize ?? 0, MaxReassemblyBytes / PagedBuffer.PageSize * PagedBuffer.PageSize);

    /// <summary>True when we advertise that we accept pushed modules (a trust policy is set and does not deny peers).</summary>
    public bool AcceptsPushes => TrustPolicy is { PeerRule: not OriginRule.Deny };

    /// <summary>Adds a module to <see cref="Push"/>; one with the same content hash (e.g. an unsigned copy) is replaced.</summary>
    public PluginExchangeOptions AddPush(byte[] wasm)
    {
        var plugin = new PushedPlugin(wasm);
        for (int i = 0; i < Push.Count; i++)
        {
            if (Push[i].Reference.Sha256Hex == plugin.Reference.Sha256Hex)
            {
                Push[i] = plugin;
                return this;
            }
        }
        Push.Add(plugin);
        return this;
    }

    /// <summary>
    /// The transport parameters to send (put them in <c>QuicConnectionOptions.ExtraTransportParameters</c>):
    /// <c>supported_plugins</c> always (accepts-pushes flag and cached modules), <c>plugins_for_you</c> when something is pushed.
    /// </summary>
    public IReadOnlyList<(ulong Id, byte[] Value)> BuildTransportParameters()
    {
        var list = new List<(ulong, byte[])>
        {
            (ExchangeWire.SupportedPluginsParameter, ExchangeWire.EncodeSupported(AcceptsPushes, CachedReferences(), AcceptsPushes ? MaxReceivableModule : 0)),
        };
        if (Push.Count > 0)
            list.Add((ExchangeWire.PluginsForYouParameter, ExchangeWire.EncodePluginsForYou(Push.Select(p => p.Reference).Distinct())));
        return list;
    }

    /// <summary><paramref name="existing"/> plus <see cref="BuildTransportParameters"/> (for <c>QuicConnectionOptions.ExtraTransportParameters</c>).</summary>
    public IReadOnlyList<(ulong Id, byte[] Value)> MergeTransportParameters(IReadOnlyList<(ulong Id, byte[] Value)>? existing)
    {
        var list = new List<(ulong, byte[])>();
        if (existing is not null)
            foreach (var p in existing)
                if (p.Id is not (ExchangeWire.SupportedPluginsParameter or ExchangeWire.PluginsForYouParameter)) list.Add(p);
        list.AddRange(BuildTransportParameters());
        return list;
    }

    private static readonly ConditionalWeakTable<byte[], PluginReference> References = new();

    /// <summary>The reference of a module, computed once per byte array.</summary>
    internal static PluginReference? ReferenceOf(byte[] module)
    {
        if (References.TryGetValue(module, out var known)) return known;
        try
        {
            var r = PluginReference.FromModule(module);
            References.AddOrUpdate(module, r);
            return r;
        }
        catch (FormatException) { return null; }
    }

    internal void Remember(PluginReference reference, byte[] module)
    {
        if (!RememberAccepted || Cache.Count >= MaxCachedModules) return;
        References.AddOrUpdate(module, reference);
        Cache.TryAdd(reference.Sha256Hex, module);
    }

    private IEnumerable<PluginReference> CachedReferences()
    {
        int n = 0;
        foreach (var (hash, module) in Cache)
        {
            if (ReferenceOf(module) is { } r && string.Equals(r.Sha256Hex, hash, StringComparison.OrdinalIgnoreCase) && n++ < ExchangeWire.MaxReferences)
                yield return r;
        }
    }
}

/// <summary>
/// What <see cref="PluginExchange"/> needs from a connection. The adapter for the real connection
/// core is made by <see cref="PluginExchange.Attach"/>; tests may supply their own.
/// </summary>
public interface IPluginExchangeConnection
{
    /// <summary>True once the handshake completed (pushes start then, in 1-RTT packets).</summary>
    bool IsHandshakeComplete { get; }

    /// <summary>The peer's transport parameters unknown to the core, or null before they arrived.</summary>
    IReadOnlyList<(ulong Id, byte[] Value)>? PeerExtraTransportParameters { get; }

    /// <summary>The connection's time, µs.</summary>
    long NowUs { get; }

    /// <summary>Raises a plugin event on the connection.</summary>
    void RaisePluginEvent(string pluginId, string message);

    /// <summary>Calls <paramref name="callback"/> (time, timer id) on the connection's thread once <paramref name="atUs"/> is reached; returns the id.</summary>
    long ScheduleTimer(long atUs, Action<long, long> callback);

    /// <summary>Cancels a timer from <see cref="ScheduleTimer"/>.</summary>
    void CancelTimer(long id);

    /// <summary>
    /// Attaches a loaded, peer-pushed module to the running connection (instantiation and binding, no
    /// compilation); throws when the host refuses it. Called on the connection's thread.
    /// </summary>
    void Inject(PluginModule module, TrustDecision decision);
}
