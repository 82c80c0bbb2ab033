namespace Pliant.Http3.Tests;

/// <summary>
/// Issue 11 item 5 in HTTP/3: requests that arrived as 0-RTT early data are marked
/// (<see cref="Http3ServerRequest.IsEarlyData"/>); by default only GET and HEAD run from early data and
/// anything else is answered 425 Too Early without running the handler (RFC 8470 §5.2); the client sends
/// such a request again, once, after the handshake (never in early data).
/// </summary>
public sealed class EarlyDataTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private sealed class Recorder
    {
        public int Calls;
        public List<(string Method, bool Early)> Seen { get; } = [];

        public async Task Handle(Http3ServerRequest req, Http3ServerResponse resp, CancellationToken ct)
        {
            lock (Seen) Seen.Add((req.Method, req.IsEarlyData));
            Interlocked.Increment(ref Calls);
            resp.SetHeader("x-early", req.IsEarlyData ? "1" : "0");
            await resp.CopyFromAsync(req.Body, ct);
        }
    }

    private static async Task<(Http3ClientConnection Client, Http3ServerConnection Server, InMemoryConnection ClientConn)> StartAsync(
        Recorder recorder, Http3ServerOptions? options = null, bool earlyData = true)
    {
        var (c, s) = InMemoryConnection.CreatePair(earlyData);
        var server = new Http3ServerConnection(s, recorder.Handle, options);
        _ = Task.Run(() => server.RunAsync());
        var client = await Http3ClientConnection.ConnectAsync(c);
        return (client, server, c);
    }

    private static async Task<string> Body(Http3Response r) => await new StreamReader(r.Content).ReadToEndAsync().WaitAsync(Timeout);

    private static async Task WaitFor(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!condition()) await Task.Delay(5, cts.Token);
    }

    [Fact]
    public async Task EarlyPost_Is425_ThenRetriedAfterTheHandshake()
    {
        var recorder = new Recorder();
        var (client, server, conn) = await StartAsync(recorder);
        var send = client.SendRequestAsync(new Http3Request { Method = "POST", Authority = "a", Path = "/order", Content = new MemoryStream("pay 10"u8.ToArray()) });
        await WaitFor(() => server.TooEarlyResponses == 1);
        // The retry waits for the handshake: nothing ran, nothing was resent.
        Assert.Equal(0, recorder.Calls);
        Assert.False(send.IsCompleted);
        Assert.Equal(0, client.TooEarlyRetries);
        conn.CompleteHandshake();
        using var response = await send.WaitAsync(Timeout);
        Assert.Equal(200, response.Status);
        Assert.Equal("0", response.GetHeader("x-early"));
        Assert.Equal("pay 10", await Body(response));
        Assert.Equal(1, recorder.Calls);
        Assert.Equal([("POST", false)], recorder.Seen);
        Assert.Equal(1, client.TooEarlyRetries);
        Assert.Equal(1, server.TooEarlyResponses);
        await client.CloseAsync();
    }

    [Fact]
    public async Task EarlyGetAndHead_RunAndAreMarked()
    {
        var recorder = new Recorder();
        var (client, server, _) = await StartAsync(recorder);
        using (var get = await client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/" }).WaitAsync(Timeout))
        {
            Assert.Equal(200, get.Status);
            Assert.Equal("1", get.GetHeader("x-early"));
        }
        using (var head = await client.SendRequestAsync(new Http3Request { Method = "HEAD", Authority = "a", Path = "/" }).WaitAsync(Timeout))
            Assert.Equal(200, head.Status);
        Assert.Equal([("GET", true), ("HEAD", true)], recorder.Seen);
        Assert.Equal(0, server.TooEarlyResponses);
        Assert.Equal(0, client.TooEarlyRetries);
        await client.CloseAsync();
    }

    [Fact]
    public async Task RejectAll_EvenGetIs425()
    {
        var recorder = new Recorder();
        var (client, server, conn) = await StartAsync(recorder, new Http3ServerOptions { EarlyDataPolicy = Http3EarlyDataPolicy.RejectAll });
        var send = client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/" });
        await WaitFor(() => server.TooEarlyResponses == 1);
        conn.CompleteHandshake();
        using var r = await send.WaitAsync(Timeout);
        Assert.Equal(200, r.Status);
        Assert.Equal([("GET", false)], recorder.Seen);
        await client.CloseAsync();
    }

    [Fact]
    public async Task Accept_HandlerDecides()
    {
        var recorder = new Recorder();
        var (client, _, _) = await StartAsync(recorder, new Http3ServerOptions { EarlyDataPolicy = Http3EarlyDataPolicy.Accept });
        using var r = await client.SendRequestAsync(new Http3Request { Method = "DELETE", Authority = "a", Path = "/x" }).WaitAsync(Timeout);
        Assert.Equal(200, r.Status);
        Assert.Equal([("DELETE", true)], recorder.Seen);
        await client.CloseAsync();
    }

    [Fact]
    public async Task EarlyDataHeaderFromAnIntermediary_MarksTheRequest_NoRetryOfA1RttRequest()
    {
        // RFC 8470 §5.1: a proxy that forwarded the request before its own client's handshake completed says so.
        var recorder = new Recorder();
        var (client, server, _) = await StartAsync(recorder, earlyData: false);
        var request = new Http3Request { Method = "POST", Authority = "a", Path = "/", Content = new MemoryStream([1, 2, 3]) };
        request.Headers.Add(new Http3Field("Early-Data", "1"));
        using var r = await client.SendRequestAsync(request).WaitAsync(Timeout);
        // Our request was not sent early, so the 425 goes back to the caller (the proxy retries for its client).
        Assert.Equal(425, r.Status);
        Assert.Equal(0, recorder.Calls);
        Assert.Equal(1, server.TooEarlyResponses);
        Assert.Equal(0, client.TooEarlyRetries);
        await client.CloseAsync();
    }

    [Fact]
    public async Task EarlyPostWithAnUnseekableBody_425IsReturnedNotRetried()
    {
        var recorder = new Recorder();
        var (client, _, _) = await StartAsync(recorder);
        var body = new UnseekableStream(new MemoryStream("once"u8.ToArray()));
        using var r = await client.SendRequestAsync(new Http3Request { Method = "PUT", Authority = "a", Path = "/", Content = body }).WaitAsync(Timeout);
        Assert.Equal(425, r.Status);
        Assert.Equal(0, recorder.Calls);
        Assert.Equal(0, client.TooEarlyRetries);
        await client.CloseAsync();
    }

    [Fact]
    public async Task RetryCanBeTurnedOff()
    {
        var recorder = new Recorder();
        var (c, s) = InMemoryConnection.CreatePair(earlyData: true);
        var server = new Http3ServerConnection(s, recorder.Handle);
        _ = Task.Run(() => server.RunAsync());
        var client = await Http3ClientConnection.ConnectAsync(c, new Http3ClientOptions { RetryTooEarly = false });
        using var r = await client.SendRequestAsync(new Http3Request { Method = "POST", Authority = "a", Path = "/" }).WaitAsync(Timeout);
        Assert.Equal(425, r.Status);
        Assert.Equal(0, recorder.Calls);
        await client.CloseAsync();
    }

    private sealed class UnseekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
