using Pliant.Quic.Connection;
using Pliant.Quic.Crypto;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Connections;

public class HandshakeTests
{
    private static (SimulatedPair Pair, QuicConnectionCore Client) Start(int seed, QuicConnectionOptions? client = null,
        QuicEndpointOptions? server = null)
    {
        var pair = new SimulatedPair(seed, server ?? SimulationSetup.ServerEndpoint(seed));
        var c = pair.Connect(client ?? SimulationSetup.ClientOptions(seed));
        return (pair, c);
    }

    private static QuicConnectionCore ServerConnection(SimulatedPair pair) => pair.Server.Connections.Single();

    [Fact]
    public void CompletesOverCleanLink()
    {
        var (pair, client) = Start(1);
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && ServerConnection(pair).IsConnected));
        Assert.Equal("h3", client.ApplicationProtocol);
        Assert.Equal(QuicVersion.V1, client.Version);
        // Client Initial datagrams are padded to at least 1200 bytes (RFC 9000 §14.1).
        Assert.True(pair.ClientSent[0].Length >= 1200);
    }

    [Theory]
    [InlineData(CipherSuite.Aes128GcmSha256)]
    [InlineData(CipherSuite.Aes256GcmSha384)]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256)]
    public void NegotiatesEachCipherSuite(CipherSuite suite)
    {
        var tls = new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure, CipherSuites = [suite] };
        var (pair, client) = Start(2, SimulationSetup.ClientOptions(2, tls));
        Assert.True(pair.RunUntil(() => client.IsConnected));
        Assert.Equal(suite, client.CipherSuite);
    }

    [Theory]
    [InlineData(NamedGroup.X25519)]
    [InlineData(NamedGroup.Secp256r1)]
    public void NegotiatesEachGroup(NamedGroup group)
    {
        var tls = new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure, Groups = [group] };
        var (pair, client) = Start(3, SimulationSetup.ClientOptions(3, tls));
        Assert.True(pair.RunUntil(() => client.IsConnected));
    }

    [Fact]
    public void HelloRetryRequestWhenServerWantsAnotherGroup()
    {
        var server = SimulationSetup.ServerEndpoint(4, SimulationSetup.ServerOptions(4, b => b.Groups = [NamedGroup.Secp256r1]));
        var (pair, client) = Start(4, server: server);
        Assert.True(pair.RunUntil(() => client.IsConnected));
    }

    [Fact]
    public void WorksWithQuicVersion2()
    {
        var (pair, client) = Start(5, SimulationSetup.ClientOptions(5, version: QuicVersion.V2));
        Assert.True(pair.RunUntil(() => client.IsConnected));
        Assert.Equal(QuicVersion.V2, client.Version);
    }

    [Fact]
    public void RetryThenHandshake()
    {
        var (pair, client) = Start(6, server: SimulationSetup.ServerEndpoint(6, retry: true));
        Assert.True(pair.RunUntil(() => client.IsConnected));
        Assert.True(pair.ServerSent.Count > 0);
    }

    [Fact]
    public void AlpnMismatchClosesWithCryptoError()
    {
        var tls = new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure, ApplicationProtocols = ["hq-interop"] };
        var (pair, client) = Start(7, SimulationSetup.ClientOptions(7, tls));
        Assert.True(pair.RunUntil(() => client.IsClosed));
        Assert.NotNull(client.CloseInfo);
        Assert.Equal(0x100UL + 120, client.CloseInfo!.Value.ErrorCode); // no_application_protocol
    }

    [Fact]
    public void PinnedCertificateMismatchFails()
    {
        var tls = new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Pin(new byte[32]) };
        var (pair, client) = Start(8, SimulationSetup.ClientOptions(8, tls));
        Assert.True(pair.RunUntil(() => client.IsClosed));
        Assert.False(client.CloseInfo!.Value.IsApplicationError);
        Assert.InRange(client.CloseInfo!.Value.ErrorCode, 0x100UL, 0x1ffUL);
    }

    [Theory]
    [InlineData(10, 0.10)]
    [InlineData(11, 0.30)]
    public void CompletesUnderHeavyLoss(int seed, double loss)
    {
        var (pair, client) = Start(seed);
        pair.ClientToServer.LossRate = loss;
        pair.ServerToClient.LossRate = loss;
        Assert.True(pair.RunUntil(() => client.IsConnected && ServerConnection(pair).IsConnected, 120_000_000));
    }

    [Fact]
    public void IdleTimeoutClosesBothSides()
    {
        var client = SimulationSetup.ClientOptions(12);
        var (pair, c) = Start(12, new QuicConnectionOptions
        {
            Client = client.Client, Random = client.Random, IdleTimeout = TimeSpan.FromSeconds(2),
        });
        Assert.True(pair.RunUntil(() => c.IsConnected));
        Assert.True(pair.RunUntil(() => c.IsClosed, 10_000_000));
        Assert.True(c.ClosedByIdleTimeout);
    }

    [Fact]
    public void ApplicationCloseReachesPeer()
    {
        var (pair, client) = Start(13);
        Assert.True(pair.RunUntil(() => client.IsConnected && ServerConnection(pair).IsConnected));
        var server = ServerConnection(pair);
        client.Close(pair.NowUs, 42, "bye");
        Assert.True(pair.RunUntil(() => server.CloseInfo is not null));
        Assert.Equal(42UL, server.CloseInfo!.Value.ErrorCode);
        Assert.True(server.CloseInfo!.Value.IsApplicationError);
        Assert.Equal("bye", server.CloseInfo!.Value.Reason);
    }
}
