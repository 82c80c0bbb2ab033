using Pliant.Quic;
using Pliant.Quic.Connection;
using Pliant.Quic.Wire;
using Pliant.Router.QuicLb;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.QuicLb;

/// <summary>A Pliant server given a <see cref="QuicLbConnectionIdGenerator"/> issues only routable connection IDs.</summary>
public sealed class EndpointIssuanceTests
{
    private static readonly QuicLbConfiguration Config = new(2, 3, 6, Convert.FromHexString("00112233445566778899aabbccddeeff"));
    private static readonly byte[] ServerId = [0x0a, 0x00, 0x07];

    private static void AssertRoutable(ReadOnlySpan<byte> cid)
    {
        var sid = new byte[3];
        Assert.True(new QuicLbCodec(Config).TryDecodeServerId(cid, sid), "not a QUIC-LB ID of the configuration");
        Assert.Equal(ServerId, sid);
    }

    [Fact]
    public void FirstSourceIdAndNewConnectionIdsCarryTheServerId()
    {
        var generator = new QuicLbConnectionIdGenerator(Config, ServerId, RandomSource.Seeded(new Random(1)));
        var server = new QuicEndpointCore(Options.Server(1, generator));
        var client = new QuicEndpointCore(Options.ClientEndpoint(1));
        var pump = new DirectPump(client, server);
        var c = client.Connect(pump.NowUs, Options.Client(1), pump.ServerAddress);
        Assert.True(pump.RunUntil(() => c.IsConnected && server.Connections.Count == 1 && server.Connections[0].IsConnected));
        Assert.True(c.TryOpenStream(bidirectional: true, out var stream));
        c.StreamWrite(stream, new byte[3000], fin: true);
        int before = pump.ClientSent.Count;
        Assert.True(pump.RunUntil(() => pump.ClientSent.Count > before + 2));
        var s = server.Connections[0];
        // The first SCID (RFC 9000 §7.2) and every spare ID for NEW_CONNECTION_ID (§5.1.1).
        AssertRoutable(s.LocalConnectionId.Span);
        var issued = s.LocalConnectionIds.Where(id => id.Length == Config.ConnectionIdLength).ToList();
        Assert.True(issued.Count >= 2, $"only {issued.Count} connection IDs issued");
        foreach (var id in issued) AssertRoutable(id.Span);
        Assert.True(generator.Issued >= issued.Count);
        // What the client puts in its short-header packets is routable too.
        Assert.Equal(s.LocalConnectionId, c.RemoteConnectionId);
        var shortHeaders = pump.ClientSent.Where(d => (d[0] & 0x80) == 0).ToList();
        Assert.NotEmpty(shortHeaders);
        foreach (var d in shortHeaders) AssertRoutable(d.AsSpan(1, Config.ConnectionIdLength));
    }

    [Fact]
    public void RetrySourceIdIsRoutable()
    {
        var generator = new QuicLbConnectionIdGenerator(Config, ServerId, RandomSource.Seeded(new Random(2)));
        var server = new QuicEndpointCore(Options.Server(2, generator, retry: true));
        var client = new QuicEndpointCore(Options.ClientEndpoint(2));
        var pump = new DirectPump(client, server);
        var c = client.Connect(pump.NowUs, Options.Client(2), pump.ServerAddress);
        Assert.True(pump.RunUntil(() => c.IsConnected));
        Assert.Equal(1, server.Statistics.RetriesSent);
        var retry = pump.ServerSent.First(d => PacketHeader.TryParse(d, 0, out var h) && h.Type == PacketType.Retry);
        Assert.True(PacketHeader.TryParse(retry, 0, out var rh));
        AssertRoutable(rh.SourceConnectionId.Span);
    }
}
