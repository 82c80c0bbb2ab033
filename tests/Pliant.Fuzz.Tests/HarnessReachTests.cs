using Pliant.Fuzz.Quic;

namespace Pliant.Fuzz.Tests;

/// <summary>
/// The harnesses reach what they claim to: a seed of each kind gets past the layer in front of the
/// code under test (a fuzz target that only ever exercises its input checks finds nothing).
/// </summary>
public class HarnessReachTests
{
    [Fact]
    public void EveryTargetHasSeedsThatRunCleanly()
    {
        foreach (var t in FuzzTargets.All)
        {
            var seeds = t.Seeds().Take(20).ToList();
            Assert.NotEmpty(seeds);
            foreach (var (_, data) in seeds) t.Run(data);
        }
    }

    [Fact]
    public void ProtectedInitialIsDecryptedAndAnswered()
    {
        // The endpoint-initial seed carries a real ClientHello: the server must accept a connection and
        // answer with its Initial + Handshake flight, i.e. the wrapping produced a valid client Initial.
        var seed = new EndpointInitialTarget().Seeds().First(s => s.Name == "clienthello").Data;
        var stats = EndpointInitialTarget.Probe(seed);
        Assert.Equal(1, stats.Accepted);
        // ServerHello + certificate flight: more than one datagram, up to the 3x amplification limit.
        Assert.True(stats.Transmits >= 2 && stats.BytesSent > 1200, $"server sent {stats.BytesSent} bytes in {stats.Transmits} datagram(s)");
    }

    [Fact]
    public void JunkPlaintextInAProtectedInitialCreatesNoConnection()
    {
        // A frame type that does not exist instead of a ClientHello: the Initial decrypts but starts no
        // ClientHello, so the server keeps no state for it (issue 11, "no state before proof").
        byte[] input = FuzzInput.Build((0, [0x1f, 0x00]));
        var stats = EndpointInitialTarget.Probe(input);
        Assert.Equal(0, stats.Accepted);
    }

    [Fact]
    public void OneRttFramesReachTheServerConnection()
    {
        // After the harness's handshake the server is connected; a 1-RTT CONNECTION_CLOSE (application,
        // code 0) it can only read with the right 1-RTT keys moves it to draining (RFC 9000 §10.2.2).
        Assert.Equal(Pliant.Quic.Connection.ConnectionState.Connected, Endpoint1RttTarget.Probe(FuzzInput.Build((0, [0x01])), finish: false));
        Assert.Equal(Pliant.Quic.Connection.ConnectionState.Draining, Endpoint1RttTarget.Probe(FuzzInput.Build((0, [0x1d, 0x00, 0x00])), finish: false));
    }

    [Fact]
    public void MultipathFramesAreUnknownWithoutNegotiation()
    {
        // The harness's handshake does not negotiate multipath (no initial_max_path_id), so the
        // "multipath" seed's frames must still close the connection as unknown frames
        // (draft-ietf-quic-multipath-21 §2; RFC 9000 §12.4: FRAME_ENCODING_ERROR).
        var seed = new Endpoint1RttTarget().Seeds().First(s => s.Name == "multipath").Data;
        Assert.Equal(Pliant.Quic.Connection.ConnectionState.Closing, Endpoint1RttTarget.Probe(seed, finish: false));
        Assert.Equal(Pliant.Quic.Connection.ConnectionState.Closing, Endpoint1RttTarget.Probe(FuzzInput.Build((0, [0x7e, 0x7a, 0x04])), finish: false));
    }

    [Fact]
    public void TlsSeedsDriveBothHandshakesPastTheirFirstMessage()
    {
        // The recorded ClientHello makes a server answer with its whole first flight (ServerHello at the
        // Initial level, the rest at the Handshake level); the recorded server flight takes a client to
        // the point where it has read the ServerHello (it derives Handshake keys).
        var clientFlight = TlsFlights.ClientFlights().First().Item2;
        var r = new FuzzInput(clientFlight);
        Assert.Equal(0, r.Byte());
        var server = Pliant.Quic.Tls.TlsHandshake.CreateServer(FixedKeys.TlsServer(), FixedKeys.TransportParameters(server: true));
        server.HandleCryptoData(Pliant.Quic.EncryptionLevel.Initial, r.Chunk());
        var levels = new List<Pliant.Quic.EncryptionLevel>();
        while (server.TryPollEvent(out var e))
            if (e.Kind == Pliant.Quic.Tls.TlsEventKind.HandshakeData) levels.Add(e.Level);
        Assert.Equal([Pliant.Quic.EncryptionLevel.Initial, Pliant.Quic.EncryptionLevel.Handshake], levels.Distinct());
    }

    [Fact]
    public void Http3RequestSeedsGetResponses()
    {
        // The handler ran and answered (HEADERS + DATA written back on the request stream).
        var seeds = new Pliant.Fuzz.Http3.Http3ServerTarget().Seeds().ToDictionary(s => s.Name, s => s.Data);
        Assert.True(Pliant.Fuzz.Http3.Http3ServerTarget.Probe(seeds["get"]) > 10);
        Assert.True(Pliant.Fuzz.Http3.Http3ServerTarget.Probe(seeds["post-bytewise"]) > 10);
    }
}
