using System.Security.Cryptography;

namespace Pliant.Net.Tests.Api;

public class StreamTests
{
    [Fact(Skip = "needs connection core")]
    public async Task Echo_1MiB_OnBidirectionalStream()
    {
        await using var pair = await QuicTestPair.CreateAsync();
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
        await stream.ReadsClosed.WaitAsync(QuicTestPair.Timeout);
        await stream.WritesClosed.WaitAsync(QuicTestPair.Timeout);
    }

    [Fact(Skip = "needs connection core")]
    public async Task TwentyConcurrentStreams()
    {
        await using var pair = await QuicTestPair.CreateAsync();
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

    [Fact(Skip = "needs connection core")]
    public async Task UnidirectionalStream_CarriesDataOneWay()
    {
        await using var pair = await QuicTestPair.CreateAsync();

        await using var outbound = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Unidirectional);
        Assert.True(outbound.CanWrite);
        Assert.False(outbound.CanRead);
        await outbound.WriteAsync("one way"u8.ToArray(), completeWrites: true);

        await using var inbound = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
        Assert.Equal(QuicStreamType.Unidirectional, inbound.Type);
        Assert.False(inbound.CanWrite);
        Assert.Equal("one way"u8.ToArray(), await ReadToEndAsync(inbound).WaitAsync(QuicTestPair.Timeout));
    }

    [Fact(Skip = "needs connection core")]
    public async Task PeerReset_MakesReadsThrowStreamAborted()
    {
        await using var pair = await QuicTestPair.CreateAsync();
        await using var client = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        await client.WriteAsync(new byte[100]);
        await using var server = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);

        client.Abort(QuicAbortDirection.Write, 42);

        var ex = await Assert.ThrowsAsync<QuicException>(async () =>
            await ReadToEndAsync(server).WaitAsync(QuicTestPair.Timeout));
        Assert.Equal(QuicError.StreamAborted, ex.QuicError);
        Assert.Equal(42, ex.ApplicationErrorCode);
    }

    [Fact(Skip = "needs connection core")]
    public async Task StopSending_MakesWritesThrowStreamAborted()
    {
        await using var pair = await QuicTestPair.CreateAsync();
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

    [Fact(Skip = "needs connection core")]
    public async Task OpenOutboundStream_WaitsForTheStreamLimit()
    {
        await using var pair = await QuicTestPair.CreateAsync(o => o.MaxInboundBidirectionalStreams = 1);
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

    [Fact(Skip = "needs connection core")]
    public async Task OpenOutboundStream_IsCancellable()
    {
        await using var pair = await QuicTestPair.CreateAsync(o => o.MaxInboundBidirectionalStreams = 0);
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
