using System.Net;
using System.Net.Sockets;
using Pliant.Net.Tests.Api;
using Pliant.Quic;

namespace Pliant.Net.Tests.Hostile;

/// <summary>
/// Issue 11 over real UDP on loopback: a junk-Initial flood from many source ports while a real
/// client connects, and a failure inside one connection's application callback.
/// Bounds: junk creates no connection; the real client connects (generous timeout); the managed
/// heap grows by less than 32 MiB over 50,000 junk datagrams.
/// </summary>
[Collection(MemoryMeasurement.Name)]
public class UdpFloodTests
{
    [Fact]
    public async Task JunkFloodCreatesNoConnectionsAndARealClientStillConnects()
    {
        using var cts = new CancellationTokenSource(QuicTestPair.Timeout * 2);
        await using var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions(fake: false), cts.Token);
        var target = listener.LocalEndPoint;
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        const int Total = 50_000;
        var flood = Task.Run(() =>
        {
            var rng = new Random(1);
            var sockets = Enumerable.Range(0, 64).Select(_ =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                return s;
            }).ToArray();
            try
            {
                var d = Pliant.Quic.Wire.SyntheticInitial.Junk(rng);
                for (int i = 0; i < Total; i++)
                {
                    Pliant.Quic.Wire.SyntheticInitial.NewDcid(d, rng);
                    sockets[i % sockets.Length].SendTo(d, target);
                    if (i % 2000 == 0) Thread.Sleep(1); // let the receive queue drain a little (loopback drops otherwise)
                }
            }
            finally
            {
                foreach (var s in sockets) s.Dispose();
            }
        }, cts.Token);

        // A real client connects while the flood runs.
        await Task.Delay(20, cts.Token);
        var accept = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(fake: false, target), cts.Token);
        await using var server = await accept;
        var stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token);
        await stream.WriteAsync(new byte[] { 1, 2, 3 }, completeWrites: true, cts.Token);
        var inbound = await server.AcceptInboundStreamAsync(cts.Token);
        var buffer = new byte[16];
        Assert.Equal(3, await inbound.ReadAsync(buffer, cts.Token));
        await flood;
        await Task.Delay(200, cts.Token);

        var stats = listener.Statistics;
        Assert.Equal(1, stats.Accepted); // the junk admitted nothing
        // The kernel drops what the receive buffer cannot hold; what got through was inspected and dropped.
        Assert.True(stats.JunkInitials > 1000, $"only {stats.JunkInitials} junk Initials reached the endpoint");
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(heapAfter - heapBefore < 32 << 20, $"heap grew {heapAfter - heapBefore} bytes");
    }

    [Fact]
    public async Task AThrowingCallbackClosesOnlyItsConnection()
    {
        using var cts = new CancellationTokenSource(QuicTestPair.Timeout);
        int configured = 0;
        var options = QuicTestPair.ListenerOptions(fake: false, o => o.ConfigureCore = _ =>
        {
            if (Interlocked.Increment(ref configured) == 2) throw new InvalidOperationException("the application's set-up failed");
        });
        await using var listener = await QuicListener.ListenAsync(options, cts.Token);
        var first = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(false, listener.LocalEndPoint), cts.Token);
        await using var firstServer = await listener.AcceptConnectionAsync(cts.Token);

        // The second connection's set-up throws: it fails, with the transport's INTERNAL_ERROR…
        var ex = await Assert.ThrowsAnyAsync<QuicException>(async () =>
        {
            await using var second = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(false, listener.LocalEndPoint), cts.Token);
            var s = await second.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token);
            await s.WriteAsync(new byte[] { 1 }, completeWrites: true, cts.Token);
            _ = await s.ReadAsync(new byte[1], cts.Token);
        });
        Assert.Equal((long)TransportErrorCode.InternalError, (long?)ex.TransportErrorCode);

        // …and the listener and the first connection go on; a third connects.
        var stream = await first.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token);
        await stream.WriteAsync(new byte[] { 7 }, completeWrites: true, cts.Token);
        var inbound = await firstServer.AcceptInboundStreamAsync(cts.Token);
        Assert.Equal(1, await inbound.ReadAsync(new byte[4], cts.Token));
        await using var third = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(false, listener.LocalEndPoint), cts.Token);
        await using var thirdServer = await listener.AcceptConnectionAsync(cts.Token);
        await first.DisposeAsync();
    }
}
