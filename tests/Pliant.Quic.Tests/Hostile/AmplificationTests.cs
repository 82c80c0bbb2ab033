using System.Net;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Hostile;

/// <summary>
/// Issue 11, "amplification everywhere" (RFC 9000 §8, §9.3, §10.2, §10.3): an attacker that spoofs
/// a victim's address must not get the server to send the victim more than three times what was
/// sent in the victim's name. The victims here never send anything themselves, so they are never
/// validated and the property must hold at every moment: handshake, Retry, Version Negotiation,
/// Stateless Reset, path challenges, migration, the closing state — in random order and amounts.
/// </summary>
public class AmplificationTests
{
    private static readonly IPEndPoint[] Victims =
    [
        new(IPAddress.Parse("192.0.2.10"), 4433), new(IPAddress.Parse("192.0.2.11"), 53), new(IPAddress.Parse("198.51.100.7"), 123),
    ];

    /// <summary>Counts what the server received from, and sent to, each victim.</summary>
    private sealed class Ledger
    {
        public readonly Dictionary<IPEndPoint, long> Received = [];

        public void Deliver(SimulatedPair pair, byte[] datagram, IPEndPoint from)
        {
            Received[from] = Received.GetValueOrDefault(from) + datagram.Length;
            pair.Server.HandleDatagram(pair.NowUs, datagram, from, EcnCodepoint.NotEct);
        }

        public void AssertBounded(SimulatedPair pair, string scenario)
        {
            foreach (var victim in Victims)
            {
                long sent = pair.ServerSentTo.Where(s => s.To.Equals(victim)).Sum(s => (long)s.Length);
                long received = Received.GetValueOrDefault(victim);
                Assert.True(sent <= 3 * received, $"{scenario}: sent {sent} bytes to {victim}, which sent {received}");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HandshakeFromASpoofedAddressStaysWithinThreeTimes(bool retry)
    {
        // The client's datagrams leave from the victim's address; the victim answers nothing.
        var pair = new SimulatedPair(31, SimulationSetup.ServerEndpoint(31, retry: retry)) { ClientAddress = Victims[0] };
        pair.ServerToClient.Down = true;
        var client = pair.Connect(SimulationSetup.ClientOptions(531, tls: new Pliant.Quic.Tls.TlsClientOptions
        {
            ServerName = "localhost", Validation = Pliant.Quic.Tls.CertificateValidation.Insecure,
        }));
        pair.RunFor(8_000_000);
        long received = pair.ClientSent.Sum(d => (long)d.Length);
        long sent = pair.ServerSentTo.Where(s => s.To.Equals(Victims[0])).Sum(s => (long)s.Length);
        Assert.True(received > 0 && sent > 0);
        Assert.True(sent <= 3 * received, $"sent {sent}, received {received}");
        GC.KeepAlive(client);
    }

    [Fact]
    public void VersionNegotiationAndStatelessResetNeverExceedWhatTriggeredThem()
    {
        var pair = new SimulatedPair(32, SimulationSetup.ServerEndpoint(32));
        var ledger = new Ledger();
        var rng = new Random(32);
        for (int i = 0; i < 300; i++)
        {
            var victim = Victims[i % Victims.Length];
            if (i % 2 == 0)
            {
                var d = HostileTraffic.JunkInitial(rng, 1200 + rng.Next(200));
                d[1] = 0x7a; // an unknown version: Version Negotiation
                ledger.Deliver(pair, d, victim);
            }
            else
            {
                var d = new byte[rng.Next(1, 80)]; // a short header for no connection: Stateless Reset, if any
                rng.NextBytes(d);
                d[0] = (byte)(0x40 | d[0] & 0x3f);
                ledger.Deliver(pair, d, victim);
            }
            pair.RunFor(rng.Next(0, 2000));
        }
        Assert.True(pair.Server.Statistics.VersionNegotiationSent > 0 && pair.Server.Statistics.StatelessResetsSent > 0);
        ledger.AssertBounded(pair, "stateless");
    }

    [Theory]
    [InlineData(41)]
    [InlineData(42)]
    [InlineData(43)]
    [InlineData(44)]
    [InlineData(45)]
    [InlineData(46)]
    public void AnEstablishedPeerSpoofingVictimsGetsNoAmplification(int seed)
    {
        var (pair, client, server) = HostileTraffic.Connected(seed, SimulationSetup.ServerEndpoint(seed),
            SimulationSetup.ClientOptions(seed + 500));
        pair.DropMisaddressed = true; // what the server sends to a victim never reaches the attacker
        var ledger = new Ledger();
        var rng = new Random(seed);
        Assert.True(server.TryOpenStream(bidirectional: false, out ulong stream));
        var chunk = new byte[4096];
        bool closed = false;
        for (int step = 0; step < 400 && !server.IsClosed; step++)
        {
            var victim = Victims[rng.Next(Victims.Length)];
            switch (rng.Next(9))
            {
                case 0:
                case 1:
                {
                    // A probe: PATH_CHALLENGE (maybe padded) from the victim → PATH_RESPONSE to it.
                    int pad = rng.Next(2) == 0 ? 0 : rng.Next(1, 1100);
                    var frames = HostileTraffic.Frames(b =>
                    {
                        int n = new PathChallengeFrame((ulong)rng.NextInt64()).Write(b);
                        b.AsSpan(n, pad).Clear();
                        return n + pad;
                    });
                    ledger.Deliver(pair, HostileTraffic.Packet(client, pair.NowUs, frames), victim);
                    break;
                }
                case 2:
                {
                    // A non-probing packet from the victim: the server follows it (migration) and must
                    // validate the victim's address before sending it more than 3x (RFC 9000 §9.3).
                    var frames = HostileTraffic.Frames(b => new PingFrame().Write(b));
                    ledger.Deliver(pair, HostileTraffic.Packet(client, pair.NowUs, frames), victim);
                    break;
                }
                case 3:
                case 4:
                    // The server has plenty to send (a download).
                    if (!closed) server.StreamWrite(stream, chunk, fin: false);
                    break;
                case 5:
                {
                    // Ordinary traffic from the attacker's real address keeps the connection alive.
                    var frames = HostileTraffic.Frames(b => new PingFrame().Write(b));
                    pair.Server.HandleDatagram(pair.NowUs, HostileTraffic.Packet(client, pair.NowUs, frames), pair.ClientAddress, EcnCodepoint.NotEct);
                    break;
                }
                case 6:
                {
                    // Junk for an unknown connection ID from the victim: Stateless Reset, smaller than it.
                    var d = new byte[rng.Next(20, 200)];
                    rng.NextBytes(d);
                    d[0] = (byte)(0x40 | d[0] & 0x3f);
                    ledger.Deliver(pair, d, victim);
                    break;
                }
                case 7:
                    if (step > 300 && !closed)
                    {
                        // The closing state: every packet "from" the victim could ask for a CONNECTION_CLOSE.
                        server.Close(pair.NowUs, 7, "bye");
                        closed = true;
                    }
                    break;
                default:
                    pair.RunFor(rng.Next(1, 30_000));
                    break;
            }
            pair.RunFor(rng.Next(0, 3_000));
            ledger.AssertBounded(pair, $"seed {seed}, step {step}");
        }
        pair.RunFor(5_000_000);
        ledger.AssertBounded(pair, $"seed {seed}, end");
        // The attack did reach the places it aims at.
        Assert.True(pair.ServerSentTo.Any(s => Victims.Contains(s.To)), "nothing was ever sent to a victim");
    }

    [Fact]
    public void PathChallengeFloodFromOneSpoofedAddressIsRateLimited()
    {
        var (pair, client, server) = HostileTraffic.Connected(47, SimulationSetup.ServerEndpoint(47), SimulationSetup.ClientOptions(547));
        pair.DropMisaddressed = true;
        var ledger = new Ledger();
        // 1000 padded challenges within one second: the victim's budget would allow 3x, the rate does not.
        for (int i = 0; i < 1000; i++)
        {
            var frames = HostileTraffic.Frames(b =>
            {
                int n = new PathChallengeFrame((ulong)i).Write(b);
                b.AsSpan(n, 1100).Clear();
                return n + 1100;
            });
            ledger.Deliver(pair, HostileTraffic.Packet(client, pair.NowUs, frames), Victims[0]);
            pair.RunFor(1000);
        }
        int responses = pair.ServerSentTo.Count(s => s.To.Equals(Victims[0]));
        Assert.InRange(responses, 1, 8 + 16 + 1); // burst + one second at 16/s
        Assert.True(server.Statistics.PathResponsesLimited >= 1000 - responses);
        ledger.AssertBounded(pair, "challenge flood");
    }

    [Fact]
    public void ClosingStateAnswersAtADecreasingRate()
    {
        var (pair, client, server) = HostileTraffic.Connected(48, SimulationSetup.ServerEndpoint(48), SimulationSetup.ClientOptions(548));
        server.Close(pair.NowUs, 3, "closing");
        pair.ClientToServer.Down = false;
        pair.ServerToClient.Down = true; // the client never learns: it keeps sending
        pair.RunFor(10_000);
        int before = pair.ServerSent.Count;
        for (int i = 0; i < 1000; i++)
        {
            var frames = HostileTraffic.Frames(b => new PingFrame().Write(b));
            pair.Server.HandleDatagram(pair.NowUs, HostileTraffic.Packet(client, pair.NowUs, frames), pair.ClientAddress, EcnCodepoint.NotEct);
            pair.RunFor(50);
        }
        int answers = pair.ServerSent.Count - before;
        // RFC 9000 §10.2.1: answered at the 1st, 2nd, 4th, … packet: about log2(1000) + 1 closes, not 1000.
        Assert.InRange(answers, 1, 11);
    }
}
