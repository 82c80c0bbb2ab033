using System.Security.Cryptography;
using Pliant.Plugins;
using Pliant.Plugins.Exchange;
using Pliant.Plugins.Trust;
using Pliant.Quic;

namespace Pliant.Fuzz.Plugins;

/// <summary>
/// Receive side of plugin exchange (<see cref="PluginExchange"/>): the peer's <c>supported_plugins</c> /
/// <c>plugins_for_you</c> transport parameters and PLUGIN frames. First byte bit 0 picks the mode:
/// <list type="bullet">
/// <item>0, raw: two length-prefixed parameter values, then up to 64 length-prefixed packets of PLUGIN
/// frame bodies (type already consumed), each processed frame after frame as a connection would.</item>
/// <item>1, module: a length-prefixed module; the harness announces it under its real hash and sends it
/// in PLUGIN frames cut by the (offset, length) pairs that follow, so reassembly completes and the hash
/// check, trust policy and manifest run. Bit 1 allow-lists the hash; bit 2 sets a 256-byte size cap;
/// bit 3 sends the gaps at the end so the module always completes.</item>
/// </list>
/// Bad input must be a <see cref="QuicProtocolException"/>; the exchange must also consume each frame
/// exactly (0 &lt; consumed ≤ remaining).
/// </summary>
public sealed class PluginExchangeTarget : FuzzTarget
{
    public override string Name => "plugin-exchange";

    public override string Description => "PluginExchange: supported_plugins/plugins_for_you parameters and PLUGIN frames (raw, or a real module chunked under its true hash)";

    public override int MaxInputLength => 256 * 1024;

    protected override void Execute(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        byte mode = input[0];
        var r = new FuzzInput(input[1..]);
        if ((mode & 1) == 0) Raw(ref r);
        else Module(mode, ref r);
    }

    private static void Raw(ref FuzzInput r)
    {
        var connection = new FakeConnection([(ExchangeWire.SupportedPluginsParameter, r.Chunk().ToArray()), (ExchangeWire.PluginsForYouParameter, r.Chunk().ToArray())]);
        var budget = new PluginTransferBudget(16 << 20);
        var exchange = new PluginExchange(Options(new PluginTrustPolicy(), budget), connection);
        exchange.Activate();
        for (int i = 0; i < 64 && !r.IsEmpty; i++) ProcessPacket(exchange, r.Chunk());
        Close(exchange, connection, budget);
    }

    /// <summary>Inline loads (deterministic) and a budget of this run's own, so runs cannot leak into each other.</summary>
    private static PluginExchangeOptions Options(PluginTrustPolicy policy, PluginTransferBudget budget) =>
        new() { TrustPolicy = policy, LoadInBackground = false, TransferBudget = budget };

    /// <summary>
    /// Ends a run as a connection would: the exchange's timers fire a minute later (stalled transfers are
    /// dropped), then the connection closes; every byte taken from the budget must be back.
    /// </summary>
    private static void Close(PluginExchange exchange, FakeConnection connection, PluginTransferBudget budget)
    {
        connection.FireTimers(60_000_000);
        exchange.OnConnectionClosed();
        if (budget.InUse != 0) throw new FuzzInvariantException($"{budget.InUse} bytes of the transfer budget still in use after the connection closed");
    }

    private static void Module(byte mode, ref FuzzInput r)
    {
        byte[] module = r.Chunk().ToArray();
        byte[] hash;
        try { hash = PluginHash.Compute(module); }
        catch (FormatException) { hash = SHA256.HashData(module); } // not a module: the exchange must refuse it itself
        string hex = PluginHash.ToHex(hash);
        var policy = new PluginTrustPolicy();
        if ((mode & 2) != 0) policy.AllowHash(hex);
        if ((mode & 4) != 0) policy.MaxModuleSize = 256;
        var announce = ExchangeWire.EncodePluginsForYou([new PluginReference("fuzz", hex)]);
        var connection = new FakeConnection([(ExchangeWire.PluginsForYouParameter, announce)]);
        var budget = new PluginTransferBudget(16 << 20);
        var exchange = new PluginExchange(Options(policy, budget), connection);
        exchange.Activate();

        ulong total = (ulong)module.Length;
        var sent = new bool[module.Length];
        var frame = new byte[32 + 8 + 8 + 8 + ushort.MaxValue];
        for (int i = 0; i < 256 && r.Remaining >= 4; i++)
        {
            int offset = (r.Byte() << 8 | r.Byte()) % Math.Max(1, module.Length);
            int length = r.Byte() << 8 | r.Byte();
            length = Math.Clamp(length, 1, Math.Max(1, module.Length - offset));
            if (module.Length == 0) break;
            Array.Fill(sent, true, offset, length);
            ProcessPacket(exchange, Body(frame, hash, (ulong)offset, total, module.AsSpan(offset, length)));
        }
        if ((mode & 8) != 0) SendGaps(exchange, frame, hash, module, sent);
        Close(exchange, connection, budget);
    }

    private static void SendGaps(PluginExchange exchange, byte[] frame, byte[] hash, byte[] module, bool[] sent)
    {
        ulong total = (ulong)module.Length;
        for (int start = 0; start < module.Length;)
        {
            if (sent[start]) { start++; continue; }
            int end = start;
            while (end < module.Length && !sent[end] && end - start < 1100) end++;
            ProcessPacket(exchange, Body(frame, hash, (ulong)start, total, module.AsSpan(start, end - start)));
            start = end;
        }
    }

    /// <summary>Writes a PLUGIN frame body (no type) into <paramref name="buffer"/>.</summary>
    private static ReadOnlySpan<byte> Body(byte[] buffer, ReadOnlySpan<byte> hash, ulong offset, ulong total, ReadOnlySpan<byte> data)
    {
        var f = new PluginFrame { Hash = hash, Offset = offset, TotalLength = total, Data = data };
        int n = f.Write(buffer);
        int typeLength = Pliant.Quic.Wire.VarInt.Length(ExchangeWire.PluginFrameType);
        return buffer.AsSpan(typeLength, n - typeLength);
    }

    /// <summary>Processes frames back to back, as the core's frame loop does with a packet's payload.</summary>
    private static void ProcessPacket(PluginExchange exchange, ReadOnlySpan<byte> payload)
    {
        while (!payload.IsEmpty)
        {
            int consumed = exchange.Process(payload, 0);
            if (consumed <= 0 || consumed > payload.Length)
                throw new FuzzInvariantException($"PLUGIN frame consumed {consumed} of {payload.Length} bytes");
            payload = payload[consumed..];
        }
    }

    protected override bool IsExpected(Exception e) => e is QuicProtocolException;

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        foreach (var path in SeedFiles.Under("plugins/out", "*.wasm").Take(8))
        {
            byte[] wasm = File.ReadAllBytes(path);
            if (wasm.Length > 60_000) continue;
            string name = Path.GetFileNameWithoutExtension(path);
            // Allow-listed, complete, in three out-of-order pieces plus the gaps.
            int third = wasm.Length / 3;
            yield return ("module-" + name, [0x0b, (byte)(wasm.Length >> 8), (byte)wasm.Length, .. wasm,
                (byte)(third >> 8), (byte)third, 0, 200, 0, 0, 0, 100]);
        }
        var hash = new byte[32];
        hash[0] = 0xab;
        string hex = PluginHash.ToHex(hash);
        byte[] supported = ExchangeWire.EncodeSupported(true, [new PluginReference("cc", hex)], 1 << 20);
        byte[] forYou = ExchangeWire.EncodePluginsForYou([new PluginReference("x", hex)]);
        var frame = new byte[200];
        var body1 = Body(frame, hash, 0, 100, new byte[40]).ToArray();
        var body2 = Body(frame, hash, 40, 100, new byte[60]).ToArray();
        yield return ("raw-two-chunks", [0, (byte)(supported.Length >> 8), (byte)supported.Length, .. supported,
            (byte)(forYou.Length >> 8), (byte)forYou.Length, .. forYou,
            (byte)(body2.Length >> 8), (byte)body2.Length, .. body2, (byte)(body1.Length >> 8), (byte)body1.Length, .. body1]);
    }

    /// <summary>The slice of a connection the exchange needs: a clock, timers, events and injection, recorded.</summary>
    private sealed class FakeConnection(IReadOnlyList<(ulong Id, byte[] Value)> parameters) : IPluginExchangeConnection
    {
        private readonly List<(long AtUs, Action<long, long> Callback)> _timers = [];

        public bool IsHandshakeComplete => true;
        public IReadOnlyList<(ulong Id, byte[] Value)>? PeerExtraTransportParameters => parameters;
        public long NowUs { get; private set; }
        public int Events { get; private set; }
        public int Injected { get; private set; }
        public void RaisePluginEvent(string pluginId, string message) => Events++;
        public void Inject(PluginModule module, TrustDecision decision) => Injected++;

        public long ScheduleTimer(long atUs, Action<long, long> callback)
        {
            _timers.Add((atUs, callback));
            return _timers.Count;
        }

        /// <summary>Moves the clock to <paramref name="nowUs"/> and runs the timers due by then (each once).</summary>
        public void FireTimers(long nowUs)
        {
            NowUs = nowUs;
            for (int i = 0; i < _timers.Count && i < 64; i++)
            {
                var (at, callback) = _timers[i];
                if (at > nowUs) continue;
                _timers[i] = (long.MaxValue, callback);
                callback(nowUs, i + 1);
            }
        }

        public void CancelTimer(long id)
        {
            if (id > 0 && id <= _timers.Count) _timers[(int)id - 1] = (long.MaxValue, _timers[(int)id - 1].Callback);
        }
    }
}
