using System.Net;
using Pliant.Quic.Connection;

namespace Pliant.Quic.Tests.Connections;

/// <summary>A path and what it owns (<see cref="PathState"/>, issue 12).</summary>
public class PathStateTests
{
    [Fact]
    public void AnUnvalidatedPathMaySendThreeTimesWhatArrived_AValidatedOneAnything()
    {
        // RFC 9000 §8.1.
        var path = new PathState(0, new IPEndPoint(IPAddress.Loopback, 443), 1500, CongestionControlAlgorithm.Cubic, RandomSource.Seeded(new Random(1)));
        Assert.Equal(0, path.AmplificationAllowance);
        path.BytesReceived = 1200;
        Assert.Equal(3600, path.AmplificationAllowance);
        path.BytesSent = 3000;
        Assert.Equal(600, path.AmplificationAllowance);
        path.BytesSent = 5000;
        Assert.Equal(0, path.AmplificationAllowance); // never negative
        path.Validated = true;
        Assert.Equal(long.MaxValue, path.AmplificationAllowance);
    }

    [Fact]
    public void APathStartsAt1200ByteDatagramsWithItsOwnEstimatorControllerAndRecovery()
    {
        var a = new PathState(0, new IPEndPoint(IPAddress.Loopback, 1), 1500, CongestionControlAlgorithm.NewReno, RandomSource.Seeded(new Random(1)));
        var b = new PathState(1, new IPEndPoint(IPAddress.Loopback, 2), 1500, CongestionControlAlgorithm.Bbr, RandomSource.Seeded(new Random(1)));
        Assert.Equal(1200, a.DatagramSize); // RFC 9000 §14.1
        Assert.Equal(1500, a.MaxDatagramSize);
        Assert.NotSame(a.Rtt, b.Rtt);
        Assert.NotSame(a.Recovery, b.Recovery);
        Assert.IsType<Pliant.Quic.Recovery.NewReno>(a.Congestion);
        Assert.IsType<Pliant.Quic.Recovery.Bbr>(b.Congestion);
        Assert.Same(a.Congestion, a.Recovery.CongestionController);
        // draft-ietf-quic-multipath-21 §2: each path has its own application-data packet number space, from 0.
        Assert.NotSame(a.ApplicationNumbers, b.ApplicationNumbers);
        Assert.Equal(Pliant.Quic.Recovery.PacketSpace.Application, b.ApplicationNumbers.Space);
        Assert.Equal(0ul, b.ApplicationNumbers.NextPacketNumber);
        Assert.Null(b.ApplicationNumbers.LargestReceived);
    }

    [Fact]
    public void LiaPathsOfOneConnectionShareTheirCouplingGroup()
    {
        var group = new Pliant.Quic.Recovery.LiaGroup();
        var rng = RandomSource.Seeded(new Random(1));
        var a = new PathState(0, new IPEndPoint(IPAddress.Loopback, 1), 1500, CongestionControlAlgorithm.Lia, rng, group);
        var b = new PathState(1, new IPEndPoint(IPAddress.Loopback, 2), 1500, CongestionControlAlgorithm.Lia, rng, group);
        Assert.Equal([a.Congestion, b.Congestion], group.Members);
        Assert.Equal(a.Congestion.Window + b.Congestion.Window, group.TotalWindow);
    }
}
