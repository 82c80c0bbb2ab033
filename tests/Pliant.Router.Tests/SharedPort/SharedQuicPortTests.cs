using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Pliant.Net;
using Pliant.Quic.Connection;
using Pliant.Quic.Tls;
using Pliant.Router.SharedPort;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.SharedPort;

/// <summary>
/// Issue 13 item 4: several listeners — each with its own certificate, ALPN and congestion controller — on one UDP
/// port. New connections reach the listener their server name or ALPN names (proven by the certificate the client
/// pinned), later packets follow the listener's server ID in the connection IDs (rebinding included), and junk is
/// dropped and counted without state.
/// </summary>
public sealed class SharedQuicPortTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static SharedPortListenerOptions Listener(string certName, string alpn, CongestionControlAlgorithm cc, string[] names, bool isDefault = false, bool alpnRule = false) => new()
    {
        Listener = new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Any, 9), // ignored: the shared port's is used
            ApplicationProtocols = [alpn],
            ServerCertificate = Certificates.For(certName),
            ConnectionOptions = new QuicServerConnectionOptions { CongestionControl = cc },
        },
        ServerNames = names,
        ApplicationProtocols = alpnRule ? [alpn] : [],
        IsDefault = isDefault,
    };

    private static Task<SharedQuicPort> ThreeListenersAsync() => SharedQuicPort.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0),
    [
        Listener("a.example", "alpha", CongestionControlAlgorithm.Cubic, ["a.example"]),
        Listener("b.example", "beta", CongestionControlAlgorithm.NewReno, ["*.b.example", "b.example"]),
        Listener("c.example", "gamma", CongestionControlAlgorithm.Cubic, [], isDefault: true, alpnRule: true),
    ]).AsTask();

    private static QuicClientConnectionOptions Client(SharedQuicPort port, string? name, string alpn, string certName) => new()
    {
        RemoteEndPoint = port.LocalEndPoint,
        ServerName = name,
        ApplicationProtocols = [alpn],
        CertificateValidation = CertificateValidation.Pin(Certificates.Sha256(Certificates.For(certName))),
    };

    /// <summary>The client asks for <paramref name="bytes"/> and reads them; <paramref name="midway"/> runs after a quarter.</summary>
    private static async Task<byte[]> DownloadAsync(QuicConnection client, QuicConnection server, int bytes, Action? midway, CancellationToken ct)
    {
        var payload = RandomNumberGenerator.GetBytes(bytes);
        var send = Task.Run(async () =>
        {
            await using var s = await server.AcceptInboundStreamAsync(ct);
            var request = new byte[1];
            await s.ReadExactlyAsync(request, ct);
            await s.WriteAsync(payload, completeWrites: true, ct);
        }, ct);
        await using var stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
        await stream.WriteAsync(new byte[] { 1 }, completeWrites: true, ct);
        var received = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            received.Write(buffer, 0, n);
            if (midway is not null && received.Length > bytes / 4)
            {
                midway();
                midway = null;
            }
        }
        await send.WaitAsync(ct);
        Assert.Equal(payload, received.ToArray());
        return payload;
    }

    [Theory]
    [InlineData("a.example", "alpha", 0, "a.example")]
    [InlineData("b.example", "beta", 1, "b.example")]
    [InlineData("www.b.example", "beta", 1, "b.example")]
    [InlineData("c.example", "gamma", 2, "c.example")] // no name rule: ALPN gamma
    [InlineData(null, "gamma", 2, "c.example")] // no SNI at all
    public async Task EachNameOrAlpnReachesItsListenerWithItsOwnCertificate(string? name, string alpn, int listener, string certName)
    {
        await using var port = await ThreeListenersAsync();
        using var cts = new CancellationTokenSource(Timeout);
        var accept = port.Listeners[listener].AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await QuicConnection.ConnectAsync(Client(port, name, alpn, certName), cts.Token);
        await using var server = await accept.WaitAsync(cts.Token);
        Assert.Equal(alpn, server.NegotiatedApplicationProtocol);
        await DownloadAsync(client, server, 256 << 10, null, cts.Token);
        Assert.Equal(1, port.Statistics.RoutedByClientHello);
        Assert.True(port.Statistics.RoutedByQuicLb > 0, $"{port.Statistics.RoutedByQuicLb} datagrams routed by server ID");
        for (int i = 0; i < port.Listeners.Count; i++) Assert.Equal(i == listener ? 1 : 0, port.Listeners[i].Statistics.Accepted);
    }

    [Fact]
    public async Task ListenersWithClientsAtOnceKeepTheirOwnConnectionsThroughRebinding()
    {
        await using var port = await ThreeListenersAsync();
        using var cts = new CancellationTokenSource(Timeout);
        async Task Run(string name, string alpn, int listener)
        {
            var accept = port.Listeners[listener].AcceptConnectionAsync(cts.Token).AsTask();
            await using var client = await QuicConnection.ConnectAsync(Client(port, name, alpn, name), cts.Token);
            await using var server = await accept.WaitAsync(cts.Token);
            var before = client.LocalEndPoint;
            await DownloadAsync(client, server, 2 << 20, () => client.Rebind(), cts.Token); // NAT rebinding: new port, same IDs
            Assert.NotEqual(before.Port, client.LocalEndPoint.Port);
        }
        await Task.WhenAll(Run("a.example", "alpha", 0), Run("b.example", "beta", 1));
        Assert.Equal(2, port.Statistics.RoutedByClientHello); // one decision per connection: the new paths went by server ID
        Assert.Equal(0, port.Statistics.Drops(DropReason.QueueFull));
        Assert.Equal(new RouterState(0, 0, 0, 0), port.State);
    }

    [Fact]
    public async Task JunkIsDroppedAndCountedWithoutState()
    {
        await using var port = await ThreeListenersAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var rng = new Random(91);
        const int count = 3_000, burst = 50;
        var deadline = DateTime.UtcNow + Timeout;
        for (int i = 0; i < count; i++)
        {
            var d = new byte[rng.Next(1, 1400)];
            rng.NextBytes(d);
            if (i % 2 == 0 && d.Length > 6) { d[0] = 0xc0; d[1] = 0; d[2] = 0; d[3] = 0; d[4] = 1; } // looks like a v1 long header
            socket.SendTo(d, port.LocalEndPoint);
            // Bursts well inside the socket's receive buffer, each counted before the next: the kernel drops none.
            if ((i + 1) % burst == 0)
                while (port.Statistics.DatagramsFromClients < i + 1 && DateTime.UtcNow < deadline) await Task.Delay(1);
        }
        var s = port.Statistics;
        Assert.Equal(count, s.DatagramsFromClients);
        // Dropped, or — an unknown version — handed to the default listener for Version Negotiation, or a short header whose
        // random bytes happen to decode to a listener's server ID (its listener drops it: no connection has that ID).
        Assert.Equal(count, s.TotalDrops + s.RoutedUnknownVersion + s.RoutedByQuicLb);
        Assert.True(s.TotalDrops > count / 2, $"{s.TotalDrops} dropped");
        Assert.Equal(new RouterState(0, 0, 0, 0), port.State);
        for (int i = 0; i < port.Listeners.Count; i++) Assert.Equal(0, port.Listeners[i].Statistics.Accepted);

        using var cts = new CancellationTokenSource(Timeout);
        var accept = port.Listeners[0].AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await QuicConnection.ConnectAsync(Client(port, "a.example", "alpha", "a.example"), cts.Token);
        await using var server = await accept.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task BadListenerSetsAreRefused()
    {
        var any = new IPEndPoint(IPAddress.Loopback, 0);
        await Assert.ThrowsAsync<ArgumentException>(() => SharedQuicPort.ListenAsync(any, []).AsTask());
        var noRule = Listener("a.example", "alpha", CongestionControlAlgorithm.Cubic, []);
        await Assert.ThrowsAsync<ArgumentException>(() => SharedQuicPort.ListenAsync(any, [noRule]).AsTask());
        var ownIds = Listener("a.example", "alpha", CongestionControlAlgorithm.Cubic, ["a.example"]);
        ownIds.Listener.ConnectionIdGenerator = new Pliant.Router.QuicLb.QuicLbConnectionIdGenerator(new Pliant.Router.QuicLb.QuicLbConfiguration(0, 1, 7), [1]);
        await Assert.ThrowsAsync<ArgumentException>(() => SharedQuicPort.ListenAsync(any, [ownIds]).AsTask());
    }
}
