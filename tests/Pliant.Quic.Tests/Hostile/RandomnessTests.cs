using System.Net;
using Pliant.Quic.Connection;
using Pliant.Quic.Crypto;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Hostile;

/// <summary>
/// Issue 11 item 14: connection IDs, Retry SCIDs and PATH_CHALLENGE data must be unpredictable
/// (RFC 9000 §8.2.1, §10.3) — from the CSPRNG unless a simulation asks for a seed — and the
/// address-token and stateless-reset keys must not be the same key.
/// </summary>
public class RandomnessTests
{
    [Fact]
    public void DefaultsUseTheCsprngAndOnlyASeedMakesThemPredictable()
    {
        var endpoint = new QuicEndpointCore(new QuicEndpointOptions());
        Assert.True(endpoint.Randomness.IsSecure);
        var options = SimulationSetup.ClientOptions(1);
        var unseeded = new QuicConnectionOptions { Client = options.Client };
        var c = endpoint.Connect(0, unseeded, new IPEndPoint(IPAddress.Loopback, 443));
        Assert.True(c.Randomness.IsSecure);

        var seeded = new QuicEndpointCore(new QuicEndpointOptions { Random = new Random(1) });
        Assert.False(seeded.Randomness.IsSecure);
        Assert.False(seeded.Connect(0, options, new IPEndPoint(IPAddress.Loopback, 443)).Randomness.IsSecure);
    }

    [Fact]
    public void ResetTokensAndAddressTokensUseDifferentKeysDerivedFromTheStaticKey()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var endpoint = new QuicEndpointCore(new QuicEndpointOptions { StaticKey = key });
        var cid = new ConnectionId([1, 2, 3, 4, 5, 6, 7, 8]);
        Span<byte> fromEndpoint = stackalloc byte[16];
        endpoint.DeriveResetToken(cid, fromEndpoint);
        Span<byte> fromRawKey = stackalloc byte[16];
        StatelessResetTokens.Derive(key, cid, fromRawKey);
        Assert.False(fromEndpoint.SequenceEqual(fromRawKey));
        // Deterministic for a given static key (a cluster shares it; RFC 9000 §10.3.2).
        Span<byte> again = stackalloc byte[16];
        new QuicEndpointCore(new QuicEndpointOptions { StaticKey = key }).DeriveResetToken(cid, again);
        Assert.True(fromEndpoint.SequenceEqual(again));
        // A token sealed under the raw static key does not validate here.
        using var raw = new AddressTokens(key);
        var token = raw.CreateNewToken(new IPEndPoint(IPAddress.Loopback, 1), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var pair = new SimulatedPair(3, new QuicEndpointOptions { Server = SimulationSetup.ServerOptions(3), RequireRetry = true, StaticKey = key });
        var client = pair.Connect(new QuicConnectionOptions { Client = SimulationSetup.ClientOptions(503).Client, Random = new Random(503), AddressToken = token });
        Assert.True(pair.RunUntil(() => client.IsConnected));
        Assert.Equal(1, pair.Server.Statistics.RetriesSent);
    }
}
