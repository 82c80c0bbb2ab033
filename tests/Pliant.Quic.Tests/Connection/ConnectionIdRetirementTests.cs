using System.Net;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Hostile;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Connections;

/// <summary>
/// RFC 9000 §5.1.2, §19.15: a connection ID we retired is never used again, and a NEW_CONNECTION_ID frame
/// received again (a retransmission the peer sent before it saw our RETIRE_CONNECTION_ID) is not an error and
/// must not bring the retired ID back. Before, a duplicate NEW_CONNECTION_ID for a retired sequence number
/// re-added it; the next switch picked it, and a RETIRE_CONNECTION_ID for it still in flight went out in a
/// packet sent to it (the peer closes with PROTOCOL_VIOLATION, §19.16). Seen in
/// Hostile.AmplificationTests (seed 42) once PTO probes repeated control frames.
/// </summary>
public class ConnectionIdRetirementTests
{
    [Fact]
    public void DuplicateNewConnectionIdDoesNotResurrectARetiredId()
    {
        var (pair, client, server) = HostileTraffic.Connected(52);
        pair.RunFor(500_000); // the client's spare connection IDs reach the server
        var ping = HostileTraffic.Frames(b => new PingFrame().Write(b));
        var original = server.RemoteConnectionId;

        // The client "moves" twice: the server follows with a fresh connection ID each time (§9.5) and retires the old.
        HostileTraffic.Inject(pair, client, ping, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 50001));
        pair.RunFor(200_000);
        var second = server.RemoteConnectionId;
        HostileTraffic.Inject(pair, client, ping, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 50002));
        pair.RunFor(200_000);
        var third = server.RemoteConnectionId;
        Assert.NotEqual(original, second);
        Assert.NotEqual(second, third);

        // A late copy of the NEW_CONNECTION_ID that announced the second (sequence 1) arrives.
        var token = new byte[16];
        HostileTraffic.Inject(pair, client, HostileTraffic.Frames(b => new NewConnectionIdFrame(1, 0, second, token).Write(b)),
            new IPEndPoint(IPAddress.Parse("10.0.0.2"), 50002));
        pair.RunFor(200_000);
        Assert.False(server.IsClosed, $"closed: {server.CloseInfo} / {client.CloseInfo}");

        // The next move must take a new connection ID, not the retired one.
        HostileTraffic.Inject(pair, client, ping, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 50003));
        pair.RunFor(200_000);
        Assert.NotEqual(second, server.RemoteConnectionId);
        Assert.NotEqual(original, server.RemoteConnectionId);
        Assert.False(server.IsClosed || client.IsClosed, $"closed: {server.CloseInfo} / {client.CloseInfo}");
    }
}
