using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Hostile;

/// <summary>
/// Issue 11 item 8: an unexpected exception inside one connection (a bug, a faulty extension) closes
/// that connection with INTERNAL_ERROR; the endpoint and its other connections go on.
/// </summary>
public class FaultIsolationTests
{
    private const ulong BrokenFrameType = 0x3f5a;

    private sealed class BrokenExtension(bool failOnReceive) : IFrameExtension
    {
        public ulong FrameType => BrokenFrameType;
        public bool IsAckEliciting => true;
        public bool HasPending => !failOnReceive;
        public int Process(ReadOnlySpan<byte> afterType, long nowUs) =>
            throw new InvalidOperationException("a bug while processing a frame");
        public int Write(Span<byte> destination, out ulong token) =>
            throw new IndexOutOfRangeException("a bug while writing a frame");
        public void OnAcked(ulong token) { }
        public void OnLost(ulong token) { }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AConnectionThatThrowsIsClosedAloneAndTheEndpointGoesOn(bool failOnReceive)
    {
        var pair = new SimulatedPair(81, SimulationSetup.ServerEndpoint(81));
        var healthy = pair.Connect(SimulationSetup.ClientOptions(581));
        var victim = pair.Connect(SimulationSetup.ClientOptions(582));
        Assert.True(pair.RunUntil(() => healthy.HandshakeConfirmed && victim.HandshakeConfirmed && pair.Server.Connections.Count == 2));
        var broken = pair.Server.Connections.Single(c => c.RemoteConnectionId == victim.LocalConnectionId || c.LocalConnectionId == victim.RemoteConnectionId);
        broken.RegisterFrameExtension(new BrokenExtension(failOnReceive));
        if (failOnReceive)
            HostileTraffic.Inject(pair, victim, HostileTraffic.Frames(b => Pliant.Quic.Wire.VarInt.Write(b, BrokenFrameType)));
        else
            pair.RunFor(1000); // the server's next transmit asks the extension to write

        Assert.Equal(1, pair.Server.Statistics.ConnectionsFaulted);
        Assert.Equal((ulong)TransportErrorCode.InternalError, HostileTraffic.CloseCode(broken));
        Assert.NotNull(broken.FaultError);
        // The other connection still moves data both ways.
        Assert.True(healthy.TryOpenStream(true, out ulong id));
        var pump = new StreamPump(healthy, id, new byte[100_000]);
        var server = pair.Server.Connections.First(c => c != broken);
        var collector = new StreamCollector(server);
        pair.OnStep = () => { pump.Step(); collector.Step(); };
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id)));
        Assert.Equal(100_000, collector.Data[id].Length);
        // The victim learns why (INTERNAL_ERROR from the peer), unless the close was lost.
        Assert.True(pair.RunUntil(() => victim.CloseInfo is not null, 5_000_000));
        Assert.Equal((ulong)TransportErrorCode.InternalError, victim.CloseInfo!.Value.ErrorCode);
    }
}
