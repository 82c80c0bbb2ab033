using System.Security.Cryptography;

namespace Pliant.Net.Tests.Api;

public class StreamTests
{
    [Fact]
    public Task Echo_1MiB_OnBidirectionalStream() => Echo_1MiB_OnBidirectionalStreamCore(fake: false);

    [Fact]
    public Task Echo_1MiB_OnBidirectionalStream_FakeCore() => Echo_1MiB_OnBidirectionalStreamCore(fake: true);

    private static async Task Echo_1MiB_OnBidirectionalStreamCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake);
        var payload = RandomNumberGenerator.GetBytes(1 << 20);

        var echo = Task.Run(async () =>
        {
            await using var s = await pair.Server.AcceptInboundStreamAsync();
            Assert.Equal(QuicStreamType.Bidirectional, s.Type);
            await s.CopyToAsync(s);   // read to the end, echoing
            s.CompleteWrites();
        });

        await using var stream = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        var send = Task.Run(async () =>
        {
            for (int off = 0; off < payload.Length; off += 16384)
                await stream.WriteAsync(payload.AsMemory(off, Math.Min(16384, payload.Length - off)));
            stream.CompleteWrites();
        });
        var received = await ReadToEndAsync(stream).WaitAsync(QuicTestPair.Timeout);

        await send.WaitAsync(QuicTestPair.Timeout);
        await echo.WaitAsync(QuicTestPair.Timeout);
        Assert.Equal(payload, received);
        var counters = pair.Client.Driver.Counters;
        if (pair.Client.Driver.GsoEnabled) Assert.True(counters.DatagramsSent > counters.SendSyscalls, counters.ToString());
        await stream.ReadsClosed.WaitAsync(QuicTestPair.Timeout);
        await stream.WritesClosed.WaitAsync(QuicTestPair.Timeout);
    }

    [Fact]
    public async Task APriorityIsTakenAndBadUrgenciesAreRefused()
    {
        // RFC 9218 urgency/incremental reach the connection's stream scheduler (its order: Pliant.Quic.Tests
        // StreamSchedulerTests); here the API: range checks, and a stream with a priority still carries its data.
        await using var pair = await QuicTestPair.CreateAsync(fake: false);
        var payload = RandomNumberGenerator.GetBytes(200_000);
        await using var stream = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Unidirectional);
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.SetPriority(8, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.SetPriority(-1, true));
        stream.SetPriority(0, false);
        var receive = Task.Run(async () =>
        {
            await using var s = await pair.Server.AcceptInboundStreamAsync();
            return await ReadToEndAsync(s);
        });
        await stream.WriteAsync(payload);
        stream.CompleteWrites();
        stream.SetPriority(7, true); // after the writes ended: still orders what is left to send
        Assert.Equal(payload, await receive.WaitAsync(QuicTestPair.Timeout));
    }

    [Fact]
    public async Task Echo_OverManagedSockets_FakeCore()
    {
        var listenerOptions = QuicTestPair.ListenerOptions(fake: true);
        listenerOptions.UseManagedSocket = true;
        await using var listener = await QuicListener.ListenAsync(listenerOptions);
        var accept = listener.AcceptConnectionAsync().AsTask();
        var clientOptions = QuicTestPair.ClientOptions(fake: true, listener.LocalEndPoint);
        clientOptions.UseManagedSocket = true;
        await using var client = await QuicConnection.ConnectAsync(clientOptions).AsTask().WaitAsync(QuicTestPair.Timeout);
        await using var server = await accept.WaitAsync(QuicTestPair.Timeout);
        Assert.False(client.Driver.GsoEnabled);

        var echo = Task.Run(async () =>
        {
            await using var s = await server.AcceptInboundStreamAsync();
            await s.CopyToAsync(s);
            s.CompleteWrites();
        });
        var payload = RandomNumberGenerator.GetBytes(200_000);
        await using var stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        var send = stream.WriteAsync(payload, completeWrites: true).AsTask();
        Assert.Equal(payload, await ReadToEndAsync(stream).WaitAsync(QuicTestPair.Timeout));
        await send.WaitAsync(QuicTestPair.Timeout);
        await echo.WaitAsync(QuicTestPair.Timeout);
    }

    [Fact]
    public Task TwentyConcurrentStreams() => TwentyConcurrentStreamsCore(fake: false);

    [Fact]
    public Task TwentyConcurrentStreams_FakeCore() => TwentyConcurrentStreamsCore(fake: true);

    private static async Task TwentyConcurrentStreamsCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake);
        const int count = 20;

        var server = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            for (int i = 0; i < count; i++)
            {
                var s = await pair.Server.AcceptInboundStreamAsync();
                handlers.Add(Task.Run(async () =>
                {
                    await using (s)
                    {
                        var data = await ReadToEndAsync(s);
                        await s.WriteAsync(data, completeWrites: true);
                    }
                }));
            }
            await Task.WhenAll(handlers);
        });

        var clients = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            await using var s = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
            var data = RandomNumberGenerator.GetBytes(10_000 + i * 1000);
            await s.WriteAsync(data, completeWrites: true);
            Assert.Equal(data, await ReadToEndAsync(s));
        })).ToArray();

        await Task.WhenAll(clients).WaitAsync(QuicTestPair.Timeout);
        await server.WaitAsync(QuicTestPair.Timeout);
    }

    [Fact]
    public Task UnidirectionalStream_CarriesDataOneWay() => UnidirectionalStream_CarriesDataOneWayCore(fake: false);

    [Fact]
    public Task UnidirectionalStream_CarriesDataOneWay_FakeCore() => UnidirectionalStream_CarriesDataOneWayCore(fake: true);

    private static async Task UnidirectionalStream_CarriesDataOneWayCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake);

        await using var outbound = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Unidirectional);
        Assert.True(outbound.CanWrite);
        Assert.False(outbound.CanRead);
        await outbound.WriteAsync("one way"u8.ToArray(), completeWrites: true);

        await using var inbound = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
        Assert.Equal(QuicStreamType.Unidirectional, inbound.Type);
        Assert.False(inbound.CanWrite);
        Assert.Equal("one way"u8.ToArray(), await ReadToEndAsync(inbound).WaitAsync(QuicTestPair.Timeout));
    }

    [Fact]
    public Task PeerReset_MakesReadsThrowStreamAborted() => PeerReset_MakesReadsThrowStreamAbortedCore(fake: false);

    [Fact]
    public Task PeerReset_MakesReadsThrowStreamAborted_FakeCore() => PeerReset_MakesReadsThrowStreamAbortedCore(fake: true);

    private static async Task PeerReset_MakesReadsThrowStreamAbortedCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake);
        await using var client = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        await client.WriteAsync(new byte[100]);
        await using var server = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);

        client.Abort(QuicAbortDirection.Write, 42);

        var ex = await Assert.ThrowsAsync<QuicException>(async () =>
            await ReadToEndAsync(server).WaitAsync(QuicTestPair.Timeout));
        Assert.Equal(QuicError.StreamAborted, ex.QuicError);
        Assert.Equal(42, ex.ApplicationErrorCode);
    }

    [Fact]
    public Task StopSending_MakesWritesThrowStreamAborted() => StopSending_MakesWritesThrowStreamAbortedCore(fake: false);

    [Fact]
    public Task StopSending_MakesWritesThrowStreamAborted_FakeCore() => StopSending_MakesWritesThrowStreamAbortedCore(fake: true);

    private static async Task StopSending_MakesWritesThrowStreamAbortedCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake);
        await using var client = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        await client.WriteAsync(new byte[100]);
        await using var server = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);

        server.Abort(QuicAbortDirection.Read, 7);

        var ex = await Assert.ThrowsAsync<QuicException>(async () =>
        {
            var chunk = new byte[16384];
            while (true) await client.WriteAsync(chunk).AsTask().WaitAsync(QuicTestPair.Timeout);
        });
        Assert.Equal(QuicError.StreamAborted, ex.QuicError);
        Assert.Equal(7, ex.ApplicationErrorCode);
    }

    [Fact]
    public Task OpenOutboundStream_WaitsForTheStreamLimit() => OpenOutboundStream_WaitsForTheStreamLimitCore(fake: false);

    private static async Task OpenOutboundStream_WaitsForTheStreamLimitCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake, o => o.MaxInboundBidirectionalStreams = 1);
        var first = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        await first.WriteAsync(new byte[1], completeWrites: true);

        var second = pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional).AsTask();
        await Task.Delay(100);
        Assert.False(second.IsCompleted);

        // The server finishes the first stream both ways; MAX_STREAMS then lets the second open.
        await using (var s = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout))
        {
            await ReadToEndAsync(s).WaitAsync(QuicTestPair.Timeout);
            s.CompleteWrites();
        }
        await ReadToEndAsync(first).WaitAsync(QuicTestPair.Timeout);
        await first.DisposeAsync();

        await using var opened = await second.WaitAsync(QuicTestPair.Timeout);
        Assert.Equal(QuicStreamType.Bidirectional, opened.Type);
    }

    [Fact]
    public Task OpenOutboundStream_IsCancellable() => OpenOutboundStream_IsCancellableCore(fake: false);

    private static async Task OpenOutboundStream_IsCancellableCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake, o => o.MaxInboundBidirectionalStreams = 0);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token).AsTask().WaitAsync(QuicTestPair.Timeout));
    }

    internal static async Task<byte[]> ReadToEndAsync(QuicStream stream)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[32768];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0) ms.Write(buffer, 0, n);
        return ms.ToArray();
    }
}
