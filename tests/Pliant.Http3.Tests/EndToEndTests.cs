using System.Security.Cryptography;
using Pliant.Http3.Frames;
using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests;

public sealed class EndToEndTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    internal sealed record Pair(Http3ClientConnection Client, Http3ServerConnection Server, Task ServerRun, InMemoryConnection ClientConn, InMemoryConnection ServerConn);

    internal static async Task<Pair> StartAsync(Func<Http3ServerRequest, Http3ServerResponse, CancellationToken, Task> handler)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var server = new Http3ServerConnection(s, handler);
        Task run = Task.Run(() => server.RunAsync());
        var client = await Http3ClientConnection.ConnectAsync(c);
        return new Pair(client, server, run, c, s);
    }

    private static async Task<byte[]> ReadAllAsync(Stream s)
    {
        var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }

    [Fact]
    public async Task GetOneMebibyte()
    {
        byte[] payload = RandomNumberGenerator.GetBytes(1024 * 1024);
        var p = await StartAsync(async (req, resp, ct) =>
        {
            Assert.Equal("GET", req.Method);
            Assert.Equal("/big", req.Path);
            Assert.Equal("test.example", req.Authority);
            Assert.Equal("yes", req.GetHeader("x-test"));
            resp.ContentLength = payload.Length;
            resp.SetHeader("content-type", "application/octet-stream");
            // Several writes of odd sizes → several DATA frames.
            for (int off = 0; off < payload.Length; off += 100_003)
                await resp.WriteAsync(payload.AsMemory(off, Math.Min(100_003, payload.Length - off)), ct);
        });
        var req = new Http3Request { Authority = "test.example", Path = "/big" };
        req.Headers.Add(new("X-Test", "yes"));
        using var resp = await p.Client.SendRequestAsync(req).WaitAsync(s_timeout);
        Assert.Equal(200, resp.Status);
        Assert.Equal("1048576", resp.GetHeader("content-length"));
        byte[] got = await ReadAllAsync(resp.Content).WaitAsync(s_timeout);
        Assert.Equal(payload, got);

        await p.Server.ShutdownAsync().WaitAsync(s_timeout);
        await p.ServerRun.WaitAsync(s_timeout);
        Assert.Null(p.Client.Error);
        Assert.Equal((ulong)Http3ErrorCode.NoError, await p.ServerConn.Aborted.Task.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task PostEchoOneMebibyteAndTrailers()
    {
        byte[] payload = RandomNumberGenerator.GetBytes(1024 * 1024 + 17);
        var p = await StartAsync(async (req, resp, ct) =>
        {
            Assert.Equal("POST", req.Method);
            resp.SetHeader("x-echo", "1");
            // Stream the request body straight back while it arrives.
            await resp.CopyFromAsync(req.Body, ct);
        });
        var req = new Http3Request { Method = "POST", Authority = "a", Path = "/echo", Content = new MemoryStream(payload) };
        using var resp = await p.Client.SendRequestAsync(req).WaitAsync(s_timeout);
        Assert.Equal(200, resp.Status);
        byte[] got = await ReadAllAsync(resp.Content).WaitAsync(s_timeout);
        Assert.Equal(payload, got);
        await resp.RequestBodySent.WaitAsync(s_timeout);
        await p.Client.CloseAsync();
    }

    [Fact]
    public async Task ManyConcurrentRequests()
    {
        var p = await StartAsync(async (req, resp, ct) =>
        {
            byte[] body = System.Text.Encoding.ASCII.GetBytes(req.Path!);
            resp.ContentLength = body.Length;
            await resp.WriteAsync(body, ct);
        });
        var tasks = Enumerable.Range(0, 20).Select(async i =>
        {
            using var r = await p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/r" + i });
            return System.Text.Encoding.ASCII.GetString(await ReadAllAsync(r.Content));
        }).ToArray();
        string[] results = await Task.WhenAll(tasks).WaitAsync(s_timeout);
        for (int i = 0; i < 20; i++) Assert.Equal("/r" + i, results[i]);
        await p.Client.CloseAsync();
    }

    [Fact]
    public async Task HandlerExceptionIs500AndHeadHasNoBody()
    {
        var p = await StartAsync((req, resp, ct) =>
        {
            if (req.Path == "/boom") throw new InvalidOperationException("boom");
            resp.ContentLength = 5;
            return resp.WriteAsync("hello"u8.ToArray(), ct).AsTask();
        });
        using (var r = await p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/boom" }).WaitAsync(s_timeout))
        {
            Assert.Equal(500, r.Status);
            Assert.Empty(await ReadAllAsync(r.Content));
        }
        using (var r = await p.Client.SendRequestAsync(new Http3Request { Method = "HEAD", Authority = "a", Path = "/x" }).WaitAsync(s_timeout))
        {
            Assert.Equal(200, r.Status);
            Assert.Equal("5", r.GetHeader("content-length"));
            Assert.Empty(await ReadAllAsync(r.Content));
        }
        await p.Client.CloseAsync();
    }

    private static async Task<(InMemoryStream Stream, Http3ServerConnection Server, InMemoryConnection Raw, InMemoryConnection ServerConn)> RawRequestAsync(byte[] requestBytes, bool fin = true,
        Http3ServerOptions? options = null)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var server = new Http3ServerConnection(s, (req, resp, ct) => Task.CompletedTask, options);
        _ = Task.Run(() => server.RunAsync());
        var st = (InMemoryStream)await c.OpenStreamAsync(true, default);
        await st.WriteAsync(requestBytes);
        if (fin) st.CompleteWrites();
        return (st, server, c, s);
    }

    private static byte[] Headers(params (string, string)[] fields) =>
        Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode(fields.Select(f => new Http3Field(f.Item1, f.Item2))));

    public static TheoryData<string, byte[]> MalformedRequests => new()
    {
        { "missing :path", Headers((":method", "GET"), (":scheme", "https"), (":authority", "a")) },
        { "missing :method", Headers((":scheme", "https"), (":authority", "a"), (":path", "/")) },
        { "uppercase name", Headers((":method", "GET"), (":scheme", "https"), (":authority", "a"), (":path", "/"), ("X-Upper", "1")) },
        { "pseudo after regular", Headers((":method", "GET"), (":scheme", "https"), ("accept", "*/*"), (":authority", "a"), (":path", "/")) },
        { "duplicate :method", Headers((":method", "GET"), (":method", "GET"), (":scheme", "https"), (":authority", "a"), (":path", "/")) },
        { ":status in request", Headers((":method", "GET"), (":scheme", "https"), (":authority", "a"), (":path", "/"), (":status", "200")) },
        { "connection header", Headers((":method", "GET"), (":scheme", "https"), (":authority", "a"), (":path", "/"), ("connection", "close")) },
        { "no authority", Headers((":method", "GET"), (":scheme", "https"), (":path", "/")) },
        { "content-length mismatch", [.. Headers((":method", "POST"), (":scheme", "https"), (":authority", "a"), (":path", "/"), ("content-length", "10")), .. Http3FrameWriter.Frame(Http3FrameType.Data, [1, 2])] },
    };

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task MalformedRequestIsMessageError(string name, byte[] bytes)
    {
        _ = name;
        var handlerRan = false;
        var (c, s) = InMemoryConnection.CreatePair();
        var server = new Http3ServerConnection(s, async (req, resp, ct) =>
        {
            handlerRan = true;
            await req.Body.CopyToAsync(Stream.Null, ct); // reading the body surfaces content-length errors
        });
        _ = Task.Run(() => server.RunAsync());
        var st = (InMemoryStream)await c.OpenStreamAsync(true, default);
        await st.WriteAsync(bytes);
        st.CompleteWrites();
        var ex = await Assert.ThrowsAsync<IOException>(async () =>
        {
            var buf = new byte[100];
            while (await st.ReadAsync(buf).AsTask().WaitAsync(s_timeout) > 0) { }
        });
        Assert.Contains("0x10e", ex.Message, StringComparison.Ordinal);
        Assert.Null(server.Error);
        _ = handlerRan;
        server.Close();
    }

    [Fact]
    public async Task DataBeforeHeadersIsConnectionError()
    {
        var (_, server, _, serverConn) = await RawRequestAsync(Http3FrameWriter.Frame(Http3FrameType.Data, [1]));
        Assert.Equal((ulong)Http3ErrorCode.FrameUnexpected, await serverConn.Aborted.Task.WaitAsync(s_timeout));
        Assert.Equal(Http3ErrorCode.FrameUnexpected, server.Error?.ErrorCode);
    }

    [Fact]
    public async Task DynamicTableReferenceWithoutATableIsDecompressionFailed()
    {
        var (_, server, _, serverConn) = await RawRequestAsync(Http3FrameWriter.Frame(Http3FrameType.Headers, [0x02, 0x00, 0x80]),
            options: new Http3ServerOptions { QpackMaxTableCapacity = 0 });
        Assert.Equal(0x200UL, await serverConn.Aborted.Task.WaitAsync(s_timeout));
        Assert.Equal(Http3ErrorCode.QpackDecompressionFailed, server.Error?.ErrorCode);
    }

    [Fact]
    public async Task EmptyRequestStreamIsRequestIncomplete()
    {
        var (st, server, _, _) = await RawRequestAsync([]);
        var ex = await Assert.ThrowsAsync<IOException>(async () => await st.ReadAsync(new byte[10]).AsTask().WaitAsync(s_timeout));
        Assert.Contains("0x10d", ex.Message, StringComparison.Ordinal);
        Assert.Null(server.Error);
        server.Close();
    }

    [Fact]
    public async Task ARequestArrivingInTheGoAwayGracePeriodIsServed()
    {
        // RFC 9114 §5.2: the first GOAWAY carries the largest request id, so a request the client had already sent is
        // served; only the final GOAWAY, a grace period later, names the first id the server will not process.
        var (c, s) = InMemoryConnection.CreatePair();
        var server = new Http3ServerConnection(s, (req, resp, ct) => resp.WriteAsync("late"u8.ToArray(), ct).AsTask(),
            new Http3ServerOptions { GoAwayGracePeriod = TimeSpan.FromSeconds(30) });
        _ = Task.Run(() => server.RunAsync());
        var shutdown = server.ShutdownAsync();
        var st = (InMemoryStream)await c.OpenStreamAsync(true, default);
        await st.WriteAsync(Headers((":method", "GET"), (":scheme", "https"), (":authority", "a"), (":path", "/")));
        st.CompleteWrites();
        var response = await ReadAllAsync(st).WaitAsync(s_timeout);
        Assert.NotEmpty(response); // HEADERS and DATA, not a reset
        Assert.False(shutdown.IsCompleted);
        Assert.False(s.Aborted.Task.IsCompleted);
        server.Close();
    }

    [Fact]
    public async Task RequestsAfterGoAwayAreRejected()
    {
        var p = await StartAsync((req, resp, ct) => Task.CompletedTask);
        using (var r = await p.Client.SendRequestAsync(new Http3Request { Authority = "a" }).WaitAsync(s_timeout))
            Assert.Equal(200, r.Status);
        var shutdown = p.Server.ShutdownAsync();
        await shutdown.WaitAsync(s_timeout);
        for (int i = 0; i < 100 && p.Client.PeerGoAwayId is null && !p.Client.Closed.IsCompleted; i++) await Task.Delay(10);
        await Assert.ThrowsAsync<Http3Exception>(() => p.Client.SendRequestAsync(new Http3Request { Authority = "a" }));
    }
}

public sealed class LargeTransferTests
{
    [Fact]
    public async Task TenMebibytesStreamed()
    {
        const int Size = 10 * 1024 * 1024;
        byte[] chunk = System.Security.Cryptography.RandomNumberGenerator.GetBytes(64 * 1024);
        using var expected = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        for (int i = 0; i < Size / chunk.Length; i++) expected.AppendData(chunk);
        var p = await EndToEndTests.StartAsync(async (req, resp, ct) =>
        {
            resp.ContentLength = Size;
            for (int i = 0; i < Size / chunk.Length; i++) await resp.WriteAsync(chunk, ct);
        });
        using var r = await p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/10m" }).WaitAsync(TimeSpan.FromSeconds(30));
        using var actual = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buf = new byte[32 * 1024];
        long total = 0;
        int n;
        while ((n = await r.Content.ReadAsync(buf).AsTask().WaitAsync(TimeSpan.FromSeconds(30))) > 0)
        {
            actual.AppendData(buf, 0, n);
            total += n;
        }
        Assert.Equal(Size, total);
        Assert.Equal(expected.GetHashAndReset(), actual.GetHashAndReset());
        await p.Client.CloseAsync();
    }
}
