using Pliant.Plugins.Exchange;
using Pliant.Plugins.Trust;
using Pliant.Quic.Wire;

namespace Pliant.Plugins.Tests.Exchange;

/// <summary>A stand-in connection for exchange logic tests without the QUIC core: records events and injections, keeps timers for the test to fire.</summary>
internal sealed class FakeConnection : IPluginExchangeConnection
{
    private long _nextTimer = 1;

    public bool IsHandshakeComplete { get; set; } = true;
    public IReadOnlyList<(ulong Id, byte[] Value)>? PeerExtraTransportParameters { get; set; }
    public long NowUs { get; set; } = 1_000_000;
    public List<(string Id, string Message)> Events { get; } = [];
    public List<byte[]> Injected { get; } = [];
    public Func<byte[], Exception?>? InjectFails { get; set; }
    public SortedDictionary<long, (long At, Action<long, long> Callback)> Timers { get; } = [];

    public void RaisePluginEvent(string pluginId, string message) => Events.Add((pluginId, message));

    public long ScheduleTimer(long atUs, Action<long, long> callback)
    {
        Timers[_nextTimer] = (atUs, callback);
        return _nextTimer++;
    }

    public void CancelTimer(long id) => Timers.Remove(id);

    /// <summary>Advances the clock to <paramref name="nowUs"/> and fires the timers due by then.</summary>
    public void RunTimers(long nowUs)
    {
        NowUs = Math.Max(NowUs, nowUs);
        foreach (var (id, (at, callback)) in Timers.Where(t => t.Value.At <= NowUs).ToList())
        {
            Timers.Remove(id);
            callback(NowUs, id);
        }
    }

    public void Inject(PluginModule module, TrustDecision decision)
    {
        byte[] wasm = module.Bytes.ToArray();
        if (InjectFails?.Invoke(wasm) is { } e) throw e;
        Injected.Add(wasm);
    }
}

/// <summary>
/// Two exchanges joined by a lossy "packet" loop: the sender writes frames into 1200-byte packets,
/// each is lost with a seeded probability (→ OnLost) or delivered (→ Process, then OnAcked).
/// </summary>
internal sealed class FakeExchangePair
{
    private readonly Random _rng;

    /// <summary>
    /// A pair; the receiver loads modules inline (deterministic) unless <paramref name="loadInBackground"/>,
    /// in which case the test waits for loads with <see cref="SettleLoads"/>.
    /// </summary>
    public FakeExchangePair(int seed, PluginExchangeOptions senderOptions, PluginExchangeOptions receiverOptions, bool receiverIsPliant = true, bool loadInBackground = false)
    {
        _rng = new Random(seed);
        receiverOptions.LoadInBackground = loadInBackground;
        SenderConnection = new FakeConnection { PeerExtraTransportParameters = receiverIsPliant ? receiverOptions.BuildTransportParameters() : [] };
        ReceiverConnection = new FakeConnection { PeerExtraTransportParameters = senderOptions.BuildTransportParameters() };
        Sender = new PluginExchange(senderOptions, SenderConnection);
        Receiver = new PluginExchange(receiverOptions, ReceiverConnection);
    }

    public FakeConnection SenderConnection { get; }
    public FakeConnection ReceiverConnection { get; }
    public PluginExchange Sender { get; }
    public PluginExchange Receiver { get; }
    public double LossRate { get; set; }
    public int PacketsSent { get; private set; }
    public int PacketsLost { get; private set; }

    /// <summary>Runs rounds of "send what is pending; deliver or lose; ack" until nothing is pending.</summary>
    public void Run(int maxRounds = 100_000)
    {
        var packet = new byte[1200];
        for (int round = 0; round < maxRounds; round++)
        {
            Receiver.Activate();
            var sent = new List<(byte[] Bytes, ulong Token)>();
            // One "flight": as much as the in-flight limit allows.
            while (Sender.HasPending)
            {
                int n = Sender.Write(packet, out ulong token);
                if (n == 0) break;
                sent.Add((packet[..n], token));
            }
            if (sent.Count == 0) return;
            foreach (var (bytes, token) in sent)
            {
                PacketsSent++;
                if (_rng.NextDouble() < LossRate) { PacketsLost++; Sender.OnLost(token); continue; }
                VarInt.TryRead(bytes, out ulong type, out int tl);
                Assert.Equal(ExchangeWire.PluginFrameType, type);
                int consumed = Receiver.Process(bytes.AsSpan(tl), 0);
                Assert.Equal(bytes.Length - tl, consumed);
                Sender.OnAcked(token);
            }
        }
        throw new InvalidOperationException("exchange did not settle");
    }

    /// <summary>Fires the receiver's poll timer until no load is in progress (a guard of 60 s against hangs).</summary>
    public void SettleLoads()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Receiver.LoadsInProgress > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "background load did not finish");
            Thread.Sleep(1);
            ReceiverConnection.RunTimers(ReceiverConnection.NowUs + PluginExchange.LoadPollIntervalUs);
        }
    }
}
