namespace Pliant.Net.Tests.Api;

/// <summary>The server side of the listener tests' echo exchange: accepts connections, echoes one stream of each, waits for the client to close.</summary>
internal static class EchoServing
{
    /// <summary>Accepts <paramref name="count"/> connections and echoes each one's first bidirectional stream until the client closes it.</summary>
    public static Task Serve(QuicListener listener, int count, CancellationToken ct) => Task.Run(async () =>
    {
        var handlers = new List<Task>();
        for (int i = 0; i < count; i++)
        {
            var connection = await listener.AcceptConnectionAsync(ct);
            handlers.Add(Task.Run(async () =>
            {
                await using var stream = await connection.AcceptInboundStreamAsync(ct);
                var buffer = new byte[4096];
                int n;
                while ((n = await stream.ReadAsync(buffer, ct)) > 0) await stream.WriteAsync(buffer.AsMemory(0, n), ct);
                stream.CompleteWrites();
                await connection.Closed.WaitAsync(ct);
                await connection.DisposeAsync();
            }));
        }
        await Task.WhenAll(handlers);
    });

    /// <summary>
    /// <paramref name="count"/> clients, started <paramref name="spacing"/> apart, each sending <paramref name="payload"/> on
    /// one stream (calling <paramref name="halfway"/> after the first half) and checking the echo; then all close.
    /// </summary>
    public static async Task Exchange(QuicListener listener, int count, byte[] payload, CancellationToken ct,
        TimeSpan spacing = default, Action<int, QuicConnection>? halfway = null)
    {
        var serving = Serve(listener, count, ct);
        int half = payload.Length / 2;
        var clients = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await Task.Delay(spacing * i, ct);
            var options = QuicTestPair.ClientOptions(false, listener.LocalEndPoint);
            // The server's handler ends when it sees the client's CONNECTION_CLOSE; a close lost on a loaded machine
            // (sent once, RFC 9000 §10.2) then ends at the idle timeout, the smaller of the two peers' (§10.1): keep
            // that well inside the 30 s the test allows in all (a CI run at load ~10 timed out once at 30 s, most likely so; not reproduced in 30 runs, 10 of them with both CPUs busy).
            options.IdleTimeout = TimeSpan.FromSeconds(8);
            var client = await QuicConnection.ConnectAsync(options, ct);
            await using var stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
            await stream.WriteAsync(payload.AsMemory(0, half), ct);
            halfway?.Invoke(i, client);
            await stream.WriteAsync(payload.AsMemory(half), ct);
            stream.CompleteWrites();
            var echoed = new MemoryStream();
            await stream.CopyToAsync(echoed, ct);
            Assert.Equal(payload, echoed.ToArray());
            return client;
        }));
        foreach (var c in clients) await c.CloseAsync(0);
        await serving.WaitAsync(ct);
        foreach (var c in clients) await c.DisposeAsync();
    }

    /// <summary>
    /// Two drivers took <paramref name="total"/> connections between them, both some (all on one: probability
    /// 2^-(total-1)), and no datagram reached the wrong one (it would find no connection there: dropped, or answered
    /// with a stateless reset).
    /// </summary>
    public static void AssertSteeredToBothDrivers(QuicListener listener, int total)
    {
        var a = listener.DriverStatistics(0);
        var b = listener.DriverStatistics(1);
        Assert.True(a.Accepted > 0 && b.Accepted > 0, $"accepted {a.Accepted} and {b.Accepted}");
        Assert.Equal(total, a.Accepted + b.Accepted);
        Assert.Equal(0, a.DroppedDatagrams + b.DroppedDatagrams);
        Assert.Equal(0, a.StatelessResetsSent + b.StatelessResetsSent);
    }
}
