using System.Net;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Routing;

/// <summary>
/// RFC 9287: peers that exchanged grease_quic_bit may clear the QUIC Bit of long-header packets (ngtcp2 does, between its
/// client and server). The router is no endpoint: it still learns IDs from such packets and routes them.
/// </summary>
public sealed class GreasedQuicBitTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.20"), 4000);

    [Fact]
    public void LongHeadersWithoutTheQuicBitAreLearnedAndRouted()
    {
        var t = new Topology(81);
        byte[] serverId = [0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62];
        byte[] clientId = [0x71, 0x72, 0x73, 0x74];
        var fromServer = Forge.ServerHandshakeHeader(serverId, clientId);
        fromServer[0] &= 0xbf; // QUIC Bit cleared
        t.Router.OnBackendDatagram(1_000_000, t.B, fromServer);
        Assert.Equal(1, t.Router.State.LearnedIds);

        var fromClient = Forge.ServerHandshakeHeader(clientId, serverId); // same shape: a Handshake packet to the server's ID
        fromClient[0] &= 0xbf;
        var r = t.Network.Inject(fromClient, Client);
        Assert.Equal(RouteAction.Forward, r.Action);
        Assert.Same(t.B, r.Backend);
        Assert.Equal(RouteBasis.LearnedId, r.Basis);

        // A cleared bit is no licence for junk: an unknown version or a truncated header is still dropped.
        var truncated = fromClient.AsSpan(0, 10).ToArray();
        Assert.Equal(DropReason.Malformed, t.Network.Inject(truncated, Client).Reason);
    }
}
