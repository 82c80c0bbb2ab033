using System.Net;

namespace Pliant.Net.Tests.Api;

/// <summary><see cref="QuicClientEndpoint"/>: many client connections over one socket and one endpoint thread.</summary>
public class ClientEndpointTests
{
    [Fact]
    public async Task TwentyConnectionsShareOneSocketAndEachEchoes()
    {
        using var cts = new CancellationTokenSource(QuicTestPair.Timeout);
        await using var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions(fake: false), cts.Token);
        var serving = Task.Run(async () =>
        {
            var servers = new List<Task>();
            for (int i = 0; i < 20; i++)
            {
                var conn = await listener.AcceptConnectionAsync(cts.Token);
                servers.Add(Task.Run(async () =>
                {
                    await using var s = await conn.AcceptInboundStreamAsync(cts.Token);
                    var buffer = new byte[64];
                    int n = await s.ReadAtLeastAsync(buffer, 4, throwOnEndOfStream: false, cts.Token);
                    await s.WriteAsync(buffer.AsMemory(0, n), completeWrites: true, cts.Token);
                    await conn.Closed.WaitAsync(cts.Token);
                    await conn.DisposeAsync();
                }));
            }
            await Task.WhenAll(servers);
        });

        await using var endpoint = QuicClientEndpoint.Create(new IPEndPoint(IPAddress.Loopback, 0));
        var clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var c = await endpoint.ConnectAsync(QuicTestPair.ClientOptions(fake: false, listener.LocalEndPoint), cts.Token);
            Assert.Equal(endpoint.LocalEndPoint, c.LocalEndPoint);
            await using var s = await c.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token);
            var message = BitConverter.GetBytes(i);
            await s.WriteAsync(message, completeWrites: true, cts.Token);
            var back = new byte[4];
            await s.ReadExactlyAsync(back, cts.Token);
            Assert.Equal(message, back);
            return c;
        }));
        Assert.Throws<InvalidOperationException>(() => clients[0].Migrate()); // the socket is shared
        foreach (var c in clients) await c.DisposeAsync();
        await serving.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task ConnectingAfterDisposeThrows()
    {
        var endpoint = QuicClientEndpoint.Create(new IPEndPoint(IPAddress.Loopback, 0));
        await endpoint.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
            await endpoint.ConnectAsync(QuicTestPair.ClientOptions(false, new IPEndPoint(IPAddress.Loopback, 1))));
    }
}
