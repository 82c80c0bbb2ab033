using Pliant.Plugins.Exchange;
using Pliant.Plugins.Trust;
using Pliant.Quic.Wire;

namespace Pliant.Plugins.Tests.Exchange;

/// <summary>A stand-in connection for exchange logic tests without the QUIC core.</summary>
internal sealed class FakeConnection : IPluginExchangeConnection
{
    public bool IsHandshakeComplete { get; set; } = true;
    public IReadOnlyList<(ulong Id, byte[] Value)>? PeerExtraTransportParameters { get; set; }
    public List<(string Id, string Message)> Events { get; } = [];
    public List<byte[]> Injected { get; } = [];
    public Func<byte[], Exception?>? InjectFails { get; set; }

    public void RaisePluginEvent(string pluginId, string message) => Events.Add((pluginId, message));

    public void Inject(byte[] wasm, TrustDecision decision)
    {
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

    public FakeExchangePair(int seed, PluginExchangeOptions senderOptions, PluginExchangeOptions receiverOptions, bool receiverIsPliant = true)
    {
        _rng = new Random(seed);
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
}
