using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Operations;

public class FrameExtensionTests
{
    /// <summary>A frame carrying one varint value, resent on loss.</summary>
    internal sealed class ValueFrame : IFrameExtension
    {
        public const ulong Type = 0x3f5a00;
        private readonly Queue<ulong> _pending = new();
        private readonly Dictionary<ulong, ulong> _inFlight = [];
        private ulong _nextToken;

        public List<ulong> Received { get; } = [];
        public int Lost { get; private set; }
        public int Acked { get; private set; }
        public ulong FrameType => Type;
        public bool IsAckEliciting => true;
        public bool HasPending => _pending.Count > 0;

        public void Send(ulong v) => _pending.Enqueue(v);

        public int Process(ReadOnlySpan<byte> afterType, long nowUs)
        {
            if (!VarInt.TryRead(afterType, out ulong v, out int n))
                throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, "truncated value frame");
            Received.Add(v);
            return n;
        }

        public int Write(Span<byte> destination, out ulong token)
        {
            token = 0;
            ulong v = _pending.Peek();
            int need = VarInt.Length(Type) + VarInt.Length(v);
            if (destination.Length < need) return 0;
            int o = VarInt.Write(destination, Type);
            o += VarInt.Write(destination[o..], v);
            _pending.Dequeue();
            token = _nextToken++;
            _inFlight[token] = v;
            return o;
        }

        public void OnAcked(ulong token) { Acked++; _inFlight.Remove(token); }

        public void OnLost(ulong token)
        {
            Lost++;
            if (_inFlight.Remove(token, out var v)) _pending.Enqueue(v);
        }
    }

    [Fact]
    public void ExtensionFramesArriveDespiteLoss()
    {
        var pair = new SimulatedPair(50, SimulationSetup.ServerEndpoint(50));
        var client = pair.Connect(SimulationSetup.ClientOptions(50));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections[0].IsConnected));
        var server = pair.Server.Connections[0];
        var tx = new ValueFrame();
        var rx = new ValueFrame();
        client.RegisterFrameExtension(tx);
        server.RegisterFrameExtension(rx);
        pair.ClientToServer.LossRate = 0.3;
        for (ulong batch = 0; batch < 10; batch++)
        {
            for (ulong i = 0; i < 5; i++) tx.Send((batch * 5 + i) * 1000);
            pair.RunFor(30_000);
        }
        Assert.True(pair.RunUntil(() => rx.Received.Distinct().Count() == 50, 60_000_000));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (ulong)i * 1000), rx.Received.Distinct().Order());
        Assert.True(tx.Lost > 0);
    }

    [Fact]
    public void UnregisteredExtensionFrameClosesWithFrameEncodingError()
    {
        var pair = new SimulatedPair(51, SimulationSetup.ServerEndpoint(51));
        var client = pair.Connect(SimulationSetup.ClientOptions(51));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections[0].IsConnected));
        var server = pair.Server.Connections[0];
        var tx = new ValueFrame();
        client.RegisterFrameExtension(tx);
        tx.Send(7);
        Assert.True(pair.RunUntil(() => server.CloseInfo is not null));
        Assert.Equal((ulong)TransportErrorCode.FrameEncodingError, server.CloseInfo!.Value.ErrorCode);
    }

    [Fact]
    public void CoreFrameTypesCannotBeRegistered()
    {
        var pair = new SimulatedPair(52, SimulationSetup.ServerEndpoint(52));
        var client = pair.Connect(SimulationSetup.ClientOptions(52));
        Assert.Throws<ArgumentException>(() => client.RegisterFrameExtension(new CoreTypeFrame()));
    }

    private sealed class CoreTypeFrame : IFrameExtension
    {
        public ulong FrameType => 0x08;
        public bool IsAckEliciting => true;
        public bool HasPending => false;
        public int Process(ReadOnlySpan<byte> afterType, long nowUs) => 0;
        public int Write(Span<byte> destination, out ulong token) { token = 0; return 0; }
        public void OnAcked(ulong token) { }
        public void OnLost(ulong token) { }
    }

    [Fact]
    public void ExtraTransportParametersReachThePeer()
    {
        var serverOptions = SimulationSetup.ServerOptions(53);
        var pair = new SimulatedPair(53, SimulationSetup.ServerEndpoint(53, serverOptions));
        var baseOptions = SimulationSetup.ClientOptions(53);
        var client = pair.Connect(new QuicConnectionOptions
        {
            Client = baseOptions.Client, Random = baseOptions.Random,
            ExtraTransportParameters = [(0x50a1, [1, 2, 3])],
        });
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections[0].IsConnected));
        var server = pair.Server.Connections[0];
        Assert.Contains(server.PeerExtraTransportParameters, p => p.Id == 0x50a1 && p.Value.SequenceEqual(new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public void PluginTimersFire()
    {
        var pair = new SimulatedPair(54, SimulationSetup.ServerEndpoint(54));
        var client = pair.Connect(SimulationSetup.ClientOptions(54));
        Assert.True(pair.RunUntil(() => client.IsConnected));
        long firedAt = 0;
        long due = pair.NowUs + 250_000;
        client.ScheduleTimer(due, now => firedAt = now);
        Assert.True(pair.RunUntil(() => firedAt != 0, 1_000_000));
        Assert.True(firedAt >= due);
    }
}
