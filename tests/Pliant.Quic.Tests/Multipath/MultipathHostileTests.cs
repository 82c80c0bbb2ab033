using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Hostile;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Wire;
using static Pliant.Quic.Tests.Multipath.MultipathSetup;

namespace Pliant.Quic.Tests.Multipath;

/// <summary>
/// Hostile multipath frames (draft-ietf-quic-multipath-21 §4) at a server that announced initial_max_path_id 2:
/// path IDs above the limit, PATH_ACK of packets never sent, MAX_PATH_ID below the initial limit, floods. Each
/// either gets the draft's error or is ignored; nothing else. Memory: the path state is sized by our own limit
/// (MaxPathId + 1 slots), PATH_RESPONSEs owed per path at most 4, PATH_ABANDONs owed at most one per slot.
/// </summary>
public class MultipathHostileTests
{
    private static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Connected(int seed) =>
        HostileTraffic.Connected(seed, SimulationSetup.ServerEndpoint(seed, Server(seed, maxPathId: 2)), Client(seed, maxPathId: 2));

    private static byte[] F<T>(T frame) where T : IWireFrame => HostileTraffic.Frames(b => frame.Write(b));

    /// <summary>PATH_NEW_CONNECTION_ID (a ref struct: written here, not through a closure).</summary>
    private static byte[] NewCid(uint pathId, ulong sequence, byte last)
    {
        var b = new byte[64];
        return b[..new PathNewConnectionIdFrame(pathId, sequence, 0, new ConnectionId([7, 7, 7, 7, 7, 7, 7, last]), new byte[16]).Write(b)];
    }

    private static ulong? Outcome(int seed, params byte[][] frames)
    {
        var (pair, client, server) = Connected(seed);
        Assert.True(server.IsMultipath);
        foreach (var f in frames) HostileTraffic.Inject(pair, client, f);
        pair.RunFor(200_000);
        return HostileTraffic.CloseCode(server);
    }

    public static TheoryData<string, byte[]> AbovePathIdLimit => new()
    {
        { "PATH_ABANDON", F(new PathAbandonFrame(3, 0)) },
        { "PATH_STATUS_AVAILABLE", F(new PathStatusFrame(3, 1, Available: true)) },
        { "PATH_STATUS_BACKUP", F(new PathStatusFrame(7, 1, Available: false)) },
        { "PATH_NEW_CONNECTION_ID", NewCid(3, 0, 1) },
        { "PATH_RETIRE_CONNECTION_ID", F(new PathRetireConnectionIdFrame(3, 0)) },
        { "PATH_CIDS_BLOCKED", F(new PathCidsBlockedFrame(uint.MaxValue, 0)) },
        { "PATHS_BLOCKED", F(new PathsBlockedFrame(3)) },
        { "PATH_ACK", HostileTraffic.Frames(b => PathAckFrame.Write(b, 3, [new AckRange(0, 0)], 0, null)) },
    };

    [Theory]
    [MemberData(nameof(AbovePathIdLimit))]
    public void APathIdAboveTheAnnouncedLimitIsAProtocolViolation(string frame, byte[] bytes)
    {
        Assert.True((ulong)TransportErrorCode.ProtocolViolation == Outcome(321, bytes), frame);
    }

    [Fact]
    public void PathAckForAPathNeverUsedOrForPacketsNeverSentIsAProtocolViolation()
    {
        Assert.Equal((ulong)TransportErrorCode.ProtocolViolation, Outcome(322, HostileTraffic.Frames(b => PathAckFrame.Write(b, 2, [new AckRange(0, 0)], 0, null))));
        Assert.Equal((ulong)TransportErrorCode.ProtocolViolation, Outcome(323, HostileTraffic.Frames(b => PathAckFrame.Write(b, 0, [new AckRange(0, 1_000_000)], 0, null))));
    }

    [Fact]
    public void MaxPathIdBelowTheInitialLimitIsAProtocolViolation_ALowerOneAfterAHigherIsIgnored()
    {
        Assert.Equal((ulong)TransportErrorCode.ProtocolViolation, Outcome(324, F(new MaxPathIdFrame(1))));
        Assert.Null(Outcome(325, F(new MaxPathIdFrame(9)), F(new MaxPathIdFrame(4)), F(new MaxPathIdFrame(2))));
    }

    [Fact]
    public void FramesForAnAbandonedPathIdAreIgnored()
    {
        // Path ID 2 is abandoned before use (draft §3.4: not an error); later frames naming it are dropped silently.
        Assert.Null(Outcome(326,
            F(new PathAbandonFrame(2, 0)),
            F(new PathStatusFrame(2, 5, Available: false)),
            NewCid(2, 0, 9),
            F(new PathAbandonFrame(2, 0)),
            HostileTraffic.Frames(b => PathAckFrame.Write(b, 2, [new AckRange(0, 5)], 0, null))));
    }

    [Fact]
    public void MoreConnectionIdsForAPathThanOurLimitIsAConnectionIdLimitError()
    {
        var frames = new List<byte[]>();
        for (ulong seq = 10; seq < 16; seq++) // above the 4 the client issued; our limit is 4 per path (RFC 9000 §5.1.1)
            frames.Add(NewCid(1, seq, (byte)seq));
        Assert.Equal((ulong)TransportErrorCode.ConnectionIdLimitError, Outcome(327, [.. frames]));
    }

    [Fact]
    public void FloodsOfStatusAndBlockedFramesChangeNothing()
    {
        var frames = new List<byte[]>();
        for (int i = 0; i < 300; i++)
        {
            frames.Add(F(new PathStatusFrame(1, (ulong)(i % 7), Available: i % 2 == 0)));
            frames.Add(F(new PathCidsBlockedFrame(1, 0)));
            frames.Add(F(new PathsBlockedFrame(2)));
        }
        Assert.Null(Outcome(328, [.. frames]));
    }

    [Fact]
    public void AbandoningTheOnlyPathEndsTheConnection()
    {
        Assert.Equal((ulong)TransportErrorCode.NoError, Outcome(329, F(new PathAbandonFrame(0, 0))));
    }

    [Fact]
    public void WithoutNegotiationTheMultipathFramesAreUnknown()
    {
        var (pair, client, server) = HostileTraffic.Connected(330, SimulationSetup.ServerEndpoint(330, Server(330, maxPathId: null)), Client(330));
        Assert.False(server.IsMultipath);
        HostileTraffic.Inject(pair, client, F(new MaxPathIdFrame(4)));
        pair.RunFor(200_000);
        Assert.Equal((ulong)TransportErrorCode.FrameEncodingError, HostileTraffic.CloseCode(server));
    }

    [Fact]
    public void ABadMaxPathIdOptionIsRefused()
    {
        var pair = Pair(331, Server(331));
        Assert.Throws<ArgumentOutOfRangeException>(() => pair.Connect(Client(331, maxPathId: QuicConnectionOptions.MaxPathIdLimit + 1)));
    }
}
