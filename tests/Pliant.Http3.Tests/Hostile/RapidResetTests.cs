using Pliant.Http3.Session;

namespace Pliant.Http3.Tests.Hostile;

/// <summary>
/// HTTP/3 "rapid reset" (the HTTP/2 CVE-2023-44487 pattern): a client opens request streams and cancels
/// them at once, regaining its stream credit while the server's handlers would keep running. Bounds
/// (Http3ServerOptions): at most MaxConcurrentRequests handlers run (100); more requests are refused
/// H3_REQUEST_REJECTED; a client that abandons AbandonedRequestBudget (200) more requests than it
/// completes is disconnected with H3_EXCESSIVE_LOAD; every request stream is released.
/// </summary>
public sealed class RapidResetTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static async Task<(Http3ServerConnection Server, Task Run, InMemoryConnection Client, InMemoryConnection ServerSide)> StartAsync(
        Func<Http3ServerRequest, Http3ServerResponse, CancellationToken, Task> handler, Http3ServerOptions? options = null)
    {
        var raw = await RawClient.StartAsync(handler, options);
        return (raw.Server, raw.Run, raw.Connection, raw.ServerSide);
    }

    /// <summary>Opens a request stream, sends HEADERS, then resets both directions; false once the connection is closed.</summary>
    private static async Task<bool> OpenAndResetAsync(InMemoryConnection client)
    {
        Stream stream;
        try
        {
            stream = await client.OpenStreamAsync(true, default);
        }
        catch (IOException)
        {
            return false; // the server closed the connection
        }
        try
        {
            await stream.WriteAsync(RawClient.Headers());
        }
        catch (IOException)
        {
            // The server refused this stream before we wrote: keep going.
        }
        ((IH3StreamControl)stream).Abort((ulong)Http3ErrorCode.RequestCancelled, read: true, write: true);
        return true;
    }

    [Fact]
    public async Task ResetFlood_WithSlowHandlers_BoundedThenExcessiveLoad()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int started = 0, running = 0, peak = 0;
        var (server, run, client, serverSide) = await StartAsync(async (req, resp, ct) =>
        {
            Interlocked.Increment(ref started);
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            // A slow backend that does not look at the (already reset) stream.
            await release.Task;
            Interlocked.Decrement(ref running);
        });
        int opened = 0;
        for (int i = 0; i < 5_000 && await OpenAndResetAsync(client); i++) opened++;
        await server.Closed.WaitAsync(Timeout);
        Assert.Equal(Http3ErrorCode.ExcessiveLoad, server.Error?.ErrorCode);
        Assert.Equal((ulong)Http3ErrorCode.ExcessiveLoad, await serverSide.Aborted.Task.WaitAsync(Timeout));
        Assert.True(peak <= 100, $"{peak} handlers ran at once");
        Assert.True(started <= 100, $"{started} handlers started");
        // The budget (200) was spent on refused streams (and streams reset before their HEADERS were read),
        // then the connection closed.
        Assert.InRange(server.AbandonedRequests, 201, serverSide.Received.Count);
        Assert.True(server.RefusedRequests > 0);
        release.SetResult();
        await run.WaitAsync(Timeout);
        Assert.All(serverSide.Received.Where(s => s.Accepted && s.CanWrite), s => Assert.True(s.IsDisposed));
    }

    [Fact]
    public async Task ResetFlood_WithFastHandlers_ExcessiveLoadAfterTheBudget()
    {
        int started = 0;
        var (server, run, client, serverSide) = await StartAsync(async (req, resp, ct) =>
        {
            Interlocked.Increment(ref started);
            // Read the (reset) request and answer: the reset surfaces here as an IOException.
            await req.Body.CopyToAsync(Stream.Null, ct);
            await resp.WriteAsync(new byte[100_000], ct);
        }, new Http3ServerOptions { AbandonedRequestBudget = 50, MaxConcurrentRequests = 10 });
        for (int i = 0; i < 5_000 && await OpenAndResetAsync(client); i++) { }
        await server.Closed.WaitAsync(Timeout);
        await run.WaitAsync(Timeout);
        Assert.Equal(Http3ErrorCode.ExcessiveLoad, server.Error?.ErrorCode);
        // No request completed, so no credit was earned back: at most budget + 1 abandoned requests count.
        Assert.True(server.AbandonedRequests >= 51);
        Assert.True(started <= 51 + 10, $"{started} handlers started");
        Assert.All(serverSide.Received.Where(s => s.Accepted && s.CanWrite), s => Assert.True(s.IsDisposed));
    }

    [Fact]
    public async Task OrdinaryCancellations_AmongCompletedRequests_AreNotPunished()
    {
        // 1,000 requests, every fourth cancelled by the client after its response began: 250 abandoned,
        // more than the budget, but 750 completed requests earned their credit back.
        var h3Options = new Http3ServerOptions { AbandonedRequestBudget = 20 };
        var (c, s) = InMemoryConnection.CreatePair();
        var server = new Http3ServerConnection(s, async (req, resp, ct) => await resp.WriteAsync(new byte[2_000], ct), h3Options);
        var run = Task.Run(() => server.RunAsync());
        var client = await Http3ClientConnection.ConnectAsync(c);
        for (int i = 0; i < 1_000; i++)
        {
            using var r = await client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/" + i }).WaitAsync(Timeout);
            Assert.Equal(200, r.Status);
            if (i % 4 == 3) continue; // disposed unread: H3_REQUEST_CANCELLED, as a browser navigating away
            await r.Content.CopyToAsync(Stream.Null).WaitAsync(Timeout);
        }
        Assert.Null(server.Error);
        Assert.False(server.Closed.IsCompleted);
        await client.CloseAsync();
        await run.WaitAsync(Timeout);
        Assert.All(s.Received.Where(x => x.Accepted && x.CanWrite), x => Assert.True(x.IsDisposed));
    }

    [Fact]
    public void Budget_SpendsAndEarnsWithinItsBound()
    {
        var b = new RequestBudget(3);
        b.Earn(); // already full
        Assert.True(b.Spend());
        Assert.True(b.Spend());
        b.Earn();
        Assert.True(b.Spend());
        Assert.True(b.Spend());
        Assert.False(b.Spend());
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}
