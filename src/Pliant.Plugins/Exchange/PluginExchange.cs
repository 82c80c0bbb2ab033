using Pliant.Plugins.Trust;
using Pliant.Quic;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Exchange;

/// <summary>What became of one module offered by the peer.</summary>
/// <param name="Reference">The module's <c>id@sha256</c> (the id as announced or, failing that, the hash).</param>
/// <param name="Injected">True when it runs in the connection now.</param>
/// <param name="Reason">The trust decision or the refusal reason.</param>
public sealed record PluginExchangeOutcome(PluginReference Reference, bool Injected, string Reason);

/// <summary>
/// Plugin exchange on one connection (DESIGN §4, after Pluginizing QUIC §4 — but the module is
/// injected into the <em>running</em> connection, not cached for the next one).
/// <para>Sending: once the handshake is complete and the peer's <c>supported_plugins</c> says it
/// accepts pushes, every module in <see cref="PluginExchangeOptions.Push"/> that the peer does not
/// already have travels in PLUGIN frames; frames are retransmitted when lost and at most
/// <see cref="PluginExchangeOptions.MaxInFlightBytes"/> are unacknowledged. A peer without the
/// parameter (any non-Pliant QUIC stack) gets nothing.</para>
/// <para>Receiving: chunks are reassembled into pages allocated as data arrives, within per-transfer,
/// per-connection and process-wide caps (docs/plugin-abi.md "Limits"); the content hash is checked
/// against the frame and the peer's <c>plugins_for_you</c>, then the <see cref="PluginTrustPolicy"/>
/// decides, the module is loaded off the connection's thread and injected, or refused with the plugin
/// event <c>"refused: &lt;reason&gt;"</c>. Refusal never closes the connection; malformed frames do
/// (FRAME_ENCODING_ERROR).</para>
/// It is the core's frame extension for PLUGIN frames; create it with <see cref="Attach"/>.
/// Not thread-safe: the connection's driver serialises calls.
/// </summary>
public sealed partial class PluginExchange : IFrameExtension
{
    private readonly PluginExchangeOptions _options;
    private readonly IPluginExchangeConnection _connection;
    private bool _activated;

    // ---- sending ----
    private readonly List<OutgoingModule> _outgoing = [];
    private readonly Dictionary<ulong, (int Module, ulong Offset, int Length)> _inFlight = [];
    private ulong _nextToken;
    private long _bytesInFlight;

    // ---- receiving ----
    private readonly Dictionary<ContentHash, Reassembly> _receiving = [];
    private readonly HashSet<ContentHash> _finished = []; // injected, refused or loading: later chunks are dropped
    private readonly Dictionary<ContentHash, PluginReference> _announcedByPeer = [];
    private readonly List<PluginExchangeOutcome> _outcomes = [];
    private int _unannounced;

    /// <summary>Creates the exchange for one connection.</summary>
    public PluginExchange(PluginExchangeOptions options, IPluginExchangeConnection connection)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
    }

    /// <summary>PLUGIN frame type.</summary>
    public ulong FrameType => ExchangeWire.PluginFrameType;

    /// <summary>PLUGIN frames elicit acknowledgements (they are retransmitted when lost).</summary>
    public bool IsAckEliciting => true;

    /// <summary>What became of each module the peer offered, in order.</summary>
    public IReadOnlyList<PluginExchangeOutcome> Outcomes => _outcomes;

    /// <summary>True when the peer said it accepts pushes (known after its transport parameters arrived).</summary>
    public bool PeerAcceptsPushes { get; private set; }

    /// <summary>The modules we are pushing to this peer (empty for a peer that does not accept pushes).</summary>
    public IEnumerable<PluginReference> Pushing => _outgoing.Select(o => o.Plugin.Reference);

    /// <summary>True when every pushed module was fully acknowledged.</summary>
    public bool PushesComplete => _activated && _outgoing.All(o => o.Acked >= (ulong)o.Plugin.Module.Length);

    /// <summary>Total PLUGIN frame bytes (data only) sent, retransmissions included.</summary>
    public long BytesSent { get; private set; }

    /// <summary>PLUGIN chunks declared lost and queued again.</summary>
    public int ChunksRetransmitted { get; private set; }

    /// <summary>
    /// Reads the peer's transport parameters once the handshake is done: decides what to push and
    /// injects modules the peer asked for that we already have. Called from <see cref="HasPending"/>,
    /// so the connection needs no extra hook; idempotent.
    /// </summary>
    public void Activate()
    {
        if (_activated || !_connection.IsHandshakeComplete) return;
        var tps = _connection.PeerExtraTransportParameters;
        if (tps is null) return;
        _activated = true;
        IReadOnlyList<PluginReference> peerHas = [];
        ulong peerMax = 0;
        foreach (var (id, value) in tps)
        {
            try
            {
                if (id == ExchangeWire.SupportedPluginsParameter)
                {
                    var supported = ExchangeWire.DecodeSupported(value);
                    (PeerAcceptsPushes, peerMax, peerHas) = (supported.AcceptsPushes, supported.MaxModuleSize, supported.Have);
                }
                else if (id == ExchangeWire.PluginsForYouParameter)
                {
                    foreach (var r in ExchangeWire.DecodePluginsForYou(value))
                        _announcedByPeer.TryAdd(ContentHash.FromHex(r.Sha256Hex), r);
                }
            }
            catch (QuicProtocolException e)
            {
                // A malformed private parameter from the peer: ignore the exchange rather than the connection.
                _connection.RaisePluginEvent("pliant.exchange", $"ignored malformed transport parameter 0x{id:x}: {e.Message}");
            }
        }
        if (PeerAcceptsPushes)
        {
            foreach (var p in _options.Push)
            {
                if (peerHas.Any(h => h.Sha256Hex == p.Reference.Sha256Hex)) continue; // it runs its cached copy
                if (_outgoing.Any(o => o.Plugin.Reference.Sha256Hex == p.Reference.Sha256Hex)) continue; // one copy per hash
                if (peerMax != 0 && (ulong)p.Module.Length > peerMax)
                {
                    // It would only be refused after the transfer: say so here and save the bytes.
                    _connection.RaisePluginEvent(p.Reference.Id, $"not pushed: {p.Module.Length} bytes, the peer accepts at most {peerMax}");
                    continue;
                }
                _outgoing.Add(new OutgoingModule(p));
            }
        }
        // The peer wants us to run modules we already have: no transfer needed.
        foreach (var (hash, r) in _announcedByPeer)
        {
            if (_options.AcceptsPushes && _options.Cache.TryGetValue(r.Sha256Hex, out var cached) && _finished.Add(hash))
                Admit(r, cached, reserved: 0);
        }
    }

    /// <summary>True when PLUGIN frames wait to be sent and the in-flight limit leaves room.</summary>
    public bool HasPending
    {
        get
        {
            Activate();
            if (_bytesInFlight >= _options.MaxInFlightBytes) return false;
            foreach (var o in _outgoing) if (o.HasDataToSend) return true;
            return false;
        }
    }

    /// <summary>Writes one PLUGIN frame (lost chunks first) into <paramref name="dest"/>; 0 when nothing fits or nothing is due.</summary>
    public int Write(Span<byte> dest, out ulong token)
    {
        token = 0;
        if (!HasPending) return 0;
        for (int i = 0; i < _outgoing.Count; i++)
        {
            var o = _outgoing[i];
            if (!o.TryPeek(out ulong offset, out int available)) continue;
            ulong total = (ulong)o.Plugin.Module.Length;
            int budget = (int)Math.Min(_options.MaxInFlightBytes - _bytesInFlight, _options.MaxChunkSize);
            int length = Math.Min(available, budget);
            int header = PluginFrame.HeaderLength(offset, total, length);
            if (dest.Length - header < length) length = dest.Length - header - 1; // the data-length varint may shrink; one byte of slack
            if (length < Math.Min(available, 64)) return 0; // not worth a frame; wait for a bigger packet
            o.Take(offset, length);
            var frame = new PluginFrame
            {
                Hash = o.Plugin.Hash,
                Offset = offset,
                TotalLength = total,
                Data = o.Plugin.Module.AsSpan((int)offset, length),
            };
            int written = frame.Write(dest);
            token = _nextToken++;
            _inFlight[token] = (i, offset, length);
            _bytesInFlight += length;
            BytesSent += length;
            return written;
        }
        return 0;
    }

    /// <summary>The frame sent with <paramref name="token"/> was acknowledged.</summary>
    public void OnAcked(ulong token)
    {
        if (!_inFlight.Remove(token, out var f)) return;
        _bytesInFlight -= f.Length;
        _outgoing[f.Module].Acked += (ulong)f.Length;
    }

    /// <summary>The frame sent with <paramref name="token"/> was declared lost: its chunk is queued again (RFC 9000 §13.3: lost information is resent in new frames).</summary>
    public void OnLost(ulong token)
    {
        if (!_inFlight.Remove(token, out var f)) return;
        _bytesInFlight -= f.Length;
        _outgoing[f.Module].Requeue(f.Offset, f.Length);
        ChunksRetransmitted++;
    }

    /// <summary>One module being pushed: ranges to send (lost first), bytes acknowledged.</summary>
    private sealed class OutgoingModule(PushedPlugin plugin)
    {
        private readonly SortedSet<(ulong Offset, int Length)> _lost = new();
        private ulong _nextNew;

        public PushedPlugin Plugin { get; } = plugin;
        public ulong Acked { get; set; }
        public bool HasDataToSend => _lost.Count > 0 || _nextNew < (ulong)Plugin.Module.Length;

        public bool TryPeek(out ulong offset, out int length)
        {
            if (_lost.Count > 0) { (offset, length) = _lost.Min; return true; }
            offset = _nextNew;
            length = (int)Math.Min((ulong)Plugin.Module.Length - _nextNew, int.MaxValue);
            return length > 0;
        }

        public void Take(ulong offset, int length)
        {
            if (_lost.Count > 0 && _lost.Min.Offset == offset)
            {
                var first = _lost.Min;
                _lost.Remove(first);
                if (length < first.Length) _lost.Add((offset + (ulong)length, first.Length - length));
            }
            else _nextNew = offset + (ulong)length;
        }

        public void Requeue(ulong offset, int length) => _lost.Add((offset, length));
    }
}
