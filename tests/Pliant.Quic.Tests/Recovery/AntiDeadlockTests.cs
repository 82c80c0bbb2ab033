using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Recovery;

/// <summary>
/// RFC 9002 §6.2.2.1 / RFC 9000 §8.1: a server whose first flight is larger than 3x the client's Initial
/// stops at its anti-amplification limit and may not probe; the client must keep sending (its anti-deadlock
/// PTO) until it knows the server validated its address — an ACK of one of its Handshake packets, or the
/// handshake confirmed — not merely because it received a Handshake packet. Found by the interop fault
/// case amplificationlimit (tests/Pliant.Interop.Tests/Faults/AmplificationLimit.cs).
/// </summary>
public class AntiDeadlockTests
{
    /// <summary>
    /// The client's datagrams after its first are lost for 1.5 s (its ACKs of the server's Initial and
    /// Handshake packets), so the server, at 3x, is stuck until the client probes again. Old behaviour: the
    /// client treated the received Handshake packet as proof of address validation, armed no PTO, and the
    /// connection hung until the idle timeout.
    /// </summary>
    [Fact]
    public void ClientUnblocksAmplificationLimitedServerAfterItsSecondFlightIsLost()
    {
        const int seed = 41;
        var serverOptions = PaddedCertificates.ServerOptions(seed);
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed, serverOptions));
        long start = pair.NowUs;
        pair.ClientToServer.DropFilter = (index, _) => index > 0 && pair.NowUs < start + 1_500_000;
        var client = pair.Connect(SimulationSetup.ClientOptions(seed));

        // 1.5 s of loss plus a few PTOs of backoff: well inside 10 s, far from the 30 s idle timeout.
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections.Single().IsConnected, limitUs: 10_000_000),
            $"no handshake: client sent {pair.ClientSent.Count} datagrams, server {pair.ServerSent.Count}");
        Assert.True(pair.ClientToServer.Dropped > 0, "the client's second flight was not lost");
        // The server really was limited: its whole flight is larger than 3x the first client datagram.
        Assert.True(pair.ServerSent.Sum(d => d.Length) > 3 * pair.ClientSent[0].Length);
    }
}
