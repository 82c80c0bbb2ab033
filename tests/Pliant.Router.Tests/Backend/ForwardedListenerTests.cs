using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Pliant.Net;
using Pliant.Quic;
using Pliant.Quic.Tls;
using Pliant.Quic.Wire;
using Pliant.Router.QuicLb;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Backend;

/// <summary>
/// A <see cref="QuicListener"/> behind a stateless router (<see cref="QuicListenerOptions.ForwardedBy"/>): the
/// forwarding header carries the client's address both ways, the listener sees the real client, issues
/// QUIC-LB IDs, survives a client rebinding, and refuses datagrams that bypass the router.
/// </summary>
public sealed class ForwardedListenerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly QuicLbConfiguration Config = new(1, 2, 6, RandomNumberGenerator.GetBytes(16));

    private static QuicListenerOptions ListenerOptions(IPEndPoint router) => new()
    {
        ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        ApplicationProtocols = ["router-test"],
        ServerCertificate = Certificates.Server,
        ForwardedBy = router,
        ConnectionIdGenerator = new QuicLbConnectionIdGenerator(Config, [0x42, 0x01]),
    };

    private static QuicClientConnectionOptions ClientOptions(IPEndPoint router) => new()
    {
        RemoteEndPoint = router,
        ServerName = "a.example",
        ApplicationProtocols = ["router-test"],
        CertificateValidation = CertificateValidation.Insecure,
    };

    [Fact]
    public async Task DownloadThroughAStatelessRouterSeesTheRealClientAndSurvivesRebinding()
    {
        await using var router = new MiniHeaderRouter(new IPEndPoint(IPAddress.Loopback, 1));
        await using var listener = await QuicListener.ListenAsync(ListenerOptions(router.BackEndPoint));
        router.Backend = listener.LocalEndPoint;
        using var cts = new CancellationTokenSource(Timeout);
        var accept = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await QuicConnection.ConnectAsync(ClientOptions(router.FrontEndPoint), cts.Token);
        await using var server = await accept;
        // The server sees the client's own address, not the router's.
        Assert.Equal(client.LocalEndPoint.Port, server.RemoteEndPoint.Port);
        Assert.NotEqual(router.BackEndPoint.Port, server.RemoteEndPoint.Port);

        var payload = RandomNumberGenerator.GetBytes(4 << 20);
        var send = Task.Run(async () =>
        {
            await using var s = await server.AcceptInboundStreamAsync(cts.Token);
            var request = new byte[1];
            await s.ReadExactlyAsync(request, cts.Token);
            await s.WriteAsync(payload, completeWrites: true, cts.Token);
        });
        await using var stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token);
        await stream.WriteAsync(new byte[] { 1 }, completeWrites: true, cts.Token);
        var received = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        bool rebound = false;
        var before = client.LocalEndPoint;
        while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
        {
            received.Write(buffer, 0, n);
            if (!rebound && received.Length > payload.Length / 4)
            {
                client.Rebind(); // a NAT rebinding: new port, same connection ID
                rebound = true;
            }
        }
        await send.WaitAsync(cts.Token);
        Assert.Equal(payload, received.ToArray());
        Assert.NotEqual(before.Port, client.LocalEndPoint.Port);
        // RFC 9000 §9.3: the server moved to the new address (it answered there, through the router).
        Assert.True(router.ReturnedTo.TryGetValue(new IPEndPoint(IPAddress.Loopback, client.LocalEndPoint.Port), out long after) && after > 10,
            $"datagrams to the new address: {after}");
        Assert.Equal(0, listener.ForwardingRejected);
        Assert.True(router.Returned > 100, $"{router.Returned} datagrams came back through the router");
    }

    [Fact]
    public async Task DatagramsThatBypassTheRouterOrLackTheHeaderAreRejected()
    {
        await using var router = new MiniHeaderRouter(new IPEndPoint(IPAddress.Loopback, 1));
        await using var listener = await QuicListener.ListenAsync(ListenerOptions(router.BackEndPoint));
        router.Backend = listener.LocalEndPoint;

        // A client that sends straight to the backend never gets an answer (and nothing is created for it).
        using (var direct = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            direct.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            for (int i = 0; i < 5; i++) direct.SendTo(new byte[1200], listener.LocalEndPoint);
        }
        // From the router: no header, a header with a bad type, a bad ECN byte, a truncated one.
        router.SendRawToBackend(new byte[1200]);
        var bad = new byte[1200];
        bad[0] = 0xc0;
        router.SendRawToBackend(bad);
        var badEcn = new byte[1200];
        ForwardingHeader.Write(badEcn, new IPEndPoint(IPAddress.Loopback, 5555), Pliant.Quic.Connection.EcnCodepoint.Ect0);
        badEcn[1] = 0x80;
        router.SendRawToBackend(badEcn);
        router.SendRawToBackend([ForwardingHeader.TypeIPv6, 0, 1, 2]);
        var deadline = DateTime.UtcNow + Timeout;
        while (listener.ForwardingRejected < 9 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(9, listener.ForwardingRejected);
        Assert.Equal(0, listener.Statistics.Accepted);

        // And a real client through the router still connects.
        using var cts = new CancellationTokenSource(Timeout);
        var accept = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await QuicConnection.ConnectAsync(ClientOptions(router.FrontEndPoint), cts.Token);
        await using var server = await accept;
        Assert.Equal(9, listener.ForwardingRejected);
    }

    [Fact]
    public void TheHeaderRoundTripsBothFamiliesAndRefusesJunk()
    {
        Span<byte> b = stackalloc byte[ForwardingHeader.MaxLength];
        var v4 = new IPEndPoint(IPAddress.Parse("203.0.113.9"), 61000);
        Assert.Equal(8, ForwardingHeader.Write(b, v4, Pliant.Quic.Connection.EcnCodepoint.Ce));
        Assert.Equal("2403ee48cb007109", Convert.ToHexString(b[..8]).ToLowerInvariant());
        Assert.True(ForwardingHeader.TryRead(b[..8], out int h, out var ecn, out IPEndPoint? back));
        Assert.Equal((8, Pliant.Quic.Connection.EcnCodepoint.Ce, v4), (h, ecn, back!));
        var mapped = new IPEndPoint(IPAddress.Parse("::ffff:198.51.100.7"), 443);
        Assert.Equal(8, ForwardingHeader.Write(b, mapped, Pliant.Quic.Connection.EcnCodepoint.NotEct));
        Assert.True(ForwardingHeader.TryRead(b[..8], out _, out _, out back));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 443), back);
        var v6 = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 8443);
        Assert.Equal(20, ForwardingHeader.Write(b, v6, Pliant.Quic.Connection.EcnCodepoint.Ect1));
        Assert.True(ForwardingHeader.TryRead(b, out h, out ecn, out back));
        Assert.Equal((20, Pliant.Quic.Connection.EcnCodepoint.Ect1, v6), (h, ecn, back!));
        Assert.False(ForwardingHeader.TryRead(b[..19], out _, out _, out back));
        Assert.False(ForwardingHeader.TryRead([0x40, 0, 0, 0, 0, 0, 0, 0], out _, out _, out back));
        Assert.False(ForwardingHeader.TryRead([], out _, out _, out back));
    }
}
