using Pliant.Http3.Frames;
using Pliant.Quic.Wire;

namespace Pliant.Http3.Tests.Priority;

/// <summary>
/// Extensible priorities (RFC 9218): the <c>priority</c> field's Structured Fields syntax, PRIORITY_UPDATE on
/// the control stream (and its errors), and the urgency order the server applies to DATA writes.
/// </summary>
public sealed class PriorityTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    public static TheoryData<string?, int, bool> Values => new()
    {
        { null, 3, false },
        { "", 3, false },
        { "u=0", 0, false },
        { "u=7", 7, false },
        { "u=5, i", 5, true },
        { "i, u=1", 1, true },
        { "i=?0", 3, false },
        { "i=?1", 3, true },
        { "u=1, u=6", 6, false },          // §4: the last member wins (RFC 8941 §4.2.2)
        { "u=8", 3, false },               // §4.1: out of range is ignored
        { "u=-1", 3, false },
        { "u=2.5", 3, false },             // a Decimal, not an Integer: ignored
        { "u=\"1\"", 3, false },           // a String: ignored
        { "i=1", 3, false },               // §4.2: not a Boolean: ignored
        { "u=2;foo=bar, x=(a b);q, y=:AQID:", 2, false }, // parameters, inner lists and unknown keys skipped
        { "u=2,  i   ", 2, true },
        { "u=", 3, false },                // not a valid Dictionary: the defaults
        { "u=1,", 3, false },              // trailing comma
        { "U=1", 3, false },               // keys are lowercase
        { "u=1 i", 3, false },             // missing comma
        { "u=(1 2", 3, false },            // unterminated inner list
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void ParsesTheStructuredFieldsDictionary(string? value, int urgency, bool incremental) =>
        Assert.Equal(new Http3Priority(urgency, incremental), Http3Priority.Parse(value));

    [Fact]
    public void ParsingAHugeValueIsLinearAndBounded()
    {
        // RFC 8941 §3.2: 1,024 members are supported; more fail the field as a whole (the defaults).
        string members = string.Join(", ", Enumerable.Repeat("a=1", 1023));
        Assert.Equal(new Http3Priority(6, false), Http3Priority.Parse(members + ", u=6"));
        Assert.Equal(Http3Priority.Default, Http3Priority.Parse(members + ", a=1, u=6"));
        Assert.Equal(Http3Priority.Default, Http3Priority.Parse("u=6, " + string.Join(", ", Enumerable.Repeat("a=1", 100_000))));
    }

    [Fact]
    public void FormatsAsTheHeaderValue()
    {
        Assert.Equal("u=3", Http3Priority.Default.ToString());
        Assert.Equal("u=0, i", new Http3Priority(0, true).ToString());
        Assert.Equal(new Http3Priority(6, true), Http3Priority.Parse(new Http3Priority(6, true).ToString()));
    }

    [Fact]
    public async Task AMoreUrgentResponseWritesFirst()
    {
        var scheduler = new Http3PriorityScheduler();
        var background = scheduler.Join(0, new Http3Priority(6, false));
        var urgent = scheduler.Join(4, new Http3Priority(1, false));
        // The urgent response is writing: the background one waits until it is done.
        var urgentTurn = await urgent.EnterAsync(default);
        var waiting = background.EnterAsync(default).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, scheduler.Deferrals);
        urgentTurn.Dispose();
        using (await waiting.WaitAsync(s_timeout))
        {
            // While the background one writes, an urgent write does not wait for it.
            using (await urgent.EnterAsync(default).AsTask().WaitAsync(s_timeout)) Assert.Equal(2, scheduler.ActiveWriters);
        }
        Assert.Equal(0, scheduler.ActiveWriters);
    }

    [Fact]
    public async Task EqualUrgencyIsStreamOrderUnlessIncremental()
    {
        var scheduler = new Http3PriorityScheduler();
        var first = scheduler.Join(0, Http3Priority.Default);
        var second = scheduler.Join(4, Http3Priority.Default);
        using (await first.EnterAsync(default))
        {
            var waiting = second.EnterAsync(default).AsTask();
            Assert.False(waiting.IsCompleted);
            // A PRIORITY_UPDATE making the second incremental lets both share (RFC 9218 §4.2).
            second.Update(new Http3Priority(3, true));
            (await waiting.WaitAsync(s_timeout)).Dispose();
        }
        var third = scheduler.Join(8, new Http3Priority(3, true));
        var fourth = scheduler.Join(12, new Http3Priority(3, true));
        using (await third.EnterAsync(default))
        using (await fourth.EnterAsync(default).AsTask().WaitAsync(s_timeout))
            Assert.Equal(2, scheduler.ActiveWriters);
    }

    [Fact]
    public async Task AnUpdateReordersAWaitingWriter()
    {
        var scheduler = new Http3PriorityScheduler();
        var a = scheduler.Join(0, new Http3Priority(2, false));
        var b = scheduler.Join(4, new Http3Priority(5, false));
        using (await a.EnterAsync(default))
        {
            var waiting = b.EnterAsync(default).AsTask();
            Assert.False(waiting.IsCompleted);
            b.Update(new Http3Priority(0, false));
            (await waiting.WaitAsync(s_timeout)).Dispose();
        }
        // A cancelled wait leaves no trace.
        using (await b.EnterAsync(default))
        {
            using var cts = new CancellationTokenSource();
            var cancelled = a.EnterAsync(cts.Token).AsTask();
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        }
        Assert.Equal(0, scheduler.ActiveWriters);
    }

    private static byte[] PriorityUpdate(ulong type, ulong element, string value)
    {
        var payload = new byte[8 + value.Length];
        int n = VarInt.Write(payload, element);
        System.Text.Encoding.ASCII.GetBytes(value).CopyTo(payload, n);
        return Http3FrameWriter.Frame(type, payload.AsSpan(0, n + value.Length));
    }

    private static byte[] ControlStream(params byte[][] frames) =>
        [0x00, .. Http3FrameWriter.Settings(new Http3Settings()), .. frames.SelectMany(f => f)];

    [Fact]
    public async Task TheHeaderAndAnEarlierUpdateReachTheRequest()
    {
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, Http3Priority>();
        var p = await EndToEndTests.StartAsync((req, resp, ct) =>
        {
            seen[req.Path!] = req.Priority;
            return resp.WriteAsync("ok"u8.ToArray(), ct).AsTask();
        });
        var request = new Http3Request { Authority = "a", Path = "/header", Priority = new Http3Priority(1, true) };
        using (var r = await p.Client.SendRequestAsync(request).WaitAsync(s_timeout)) Assert.Equal(200, r.Status);
        Assert.Equal(new Http3Priority(1, true), seen["/header"]);
        using (var r = await p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/default" }).WaitAsync(s_timeout)) Assert.Equal(200, r.Status);
        Assert.Equal(Http3Priority.Default, seen["/default"]);
        // RFC 9218 §7: an update for a stream not open yet is kept and wins over the header. The next
        // client-initiated bidirectional stream is 8.
        await p.Client.SendPriorityUpdateAsync(8, new Http3Priority(6, false));
        for (int i = 0; i < 500 && p.Server.PriorityUpdates == 0; i++) await Task.Delay(10);
        using (var r = await p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/updated", Priority = new Http3Priority(0, false) }).WaitAsync(s_timeout))
        {
            Assert.Equal(200, r.Status);
            Assert.Equal(8UL, r.StreamId);
        }
        Assert.Equal(new Http3Priority(6, false), seen["/updated"]);
        await p.Client.CloseAsync();
    }

    [Fact]
    public async Task AnUpdateDuringTheResponseChangesItsPriority()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Http3Priority during = default;
        var p = await EndToEndTests.StartAsync(async (req, resp, ct) =>
        {
            started.TrySetResult();
            await proceed.Task.WaitAsync(ct);
            during = req.Priority;
            await resp.WriteAsync("ok"u8.ToArray(), ct);
        });
        var sending = p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/" });
        await started.Task.WaitAsync(s_timeout);
        await p.Client.SendPriorityUpdateAsync(0, new Http3Priority(7, true));
        for (int i = 0; i < 500 && p.Server.PriorityUpdates == 0; i++) await Task.Delay(10);
        proceed.SetResult();
        using (var r = await sending.WaitAsync(s_timeout)) Assert.Equal(200, r.Status);
        Assert.Equal(new Http3Priority(7, true), during);
        await p.Client.CloseAsync();
    }

    [Fact]
    public async Task TheTransportStreamGetsThePriorityAndEachUpdate()
    {
        // The QUIC stream scheduler orders by it (RFC 9218 §10): the server hands the request's priority to the stream,
        // then every PRIORITY_UPDATE (§7).
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var p = await EndToEndTests.StartAsync(async (req, resp, ct) =>
        {
            started.TrySetResult();
            await proceed.Task.WaitAsync(ct);
            await resp.WriteAsync("ok"u8.ToArray(), ct);
        });
        var sending = p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/", Priority = new Http3Priority(1, false) });
        await started.Task.WaitAsync(s_timeout);
        await p.Client.SendPriorityUpdateAsync(0, new Http3Priority(6, true));
        for (int i = 0; i < 500 && p.Server.PriorityUpdates == 0; i++) await Task.Delay(10);
        proceed.SetResult();
        using (var r = await sending.WaitAsync(s_timeout)) Assert.Equal(200, r.Status);
        var stream = Assert.Single(p.ServerConn.Received, s => s.StreamId == 0);
        Assert.Equal([new Http3Priority(1, false), new Http3Priority(6, true)], stream.Priorities);
        await p.Client.CloseAsync();
    }

    public static TheoryData<string, byte[], Http3ErrorCode> BadUpdates => new()
    {
        { "update for a push never promised", PriorityUpdate(Http3FrameType.PriorityUpdatePush, 0, "u=1"), Http3ErrorCode.IdError },
        { "update for a unidirectional stream", PriorityUpdate(Http3FrameType.PriorityUpdateRequest, 2, "u=1"), Http3ErrorCode.IdError },
        { "update for a server-initiated stream", PriorityUpdate(Http3FrameType.PriorityUpdateRequest, 1, "u=1"), Http3ErrorCode.IdError },
        { "empty payload", Http3FrameWriter.Frame(Http3FrameType.PriorityUpdateRequest, []), Http3ErrorCode.FrameError },
        { "truncated element id", Http3FrameWriter.Frame(Http3FrameType.PriorityUpdateRequest, [0x40]), Http3ErrorCode.FrameError },
    };

    [Theory]
    [MemberData(nameof(BadUpdates))]
    public async Task BadUpdatesCloseTheConnection(string name, byte[] frame, Http3ErrorCode code)
    {
        _ = name;
        var (c, s) = InMemoryConnection.CreatePair();
        var server = new Http3ServerConnection(s, (req, resp, ct) => Task.CompletedTask);
        _ = Task.Run(() => server.RunAsync());
        var control = await c.OpenStreamAsync(false, default);
        await control.WriteAsync(ControlStream(frame));
        Assert.Equal((ulong)code, await s.Aborted.Task.WaitAsync(s_timeout));
        Assert.Equal(code, server.Error?.ErrorCode);
    }

    [Fact]
    public async Task AnUpdateFromAServerIsFrameUnexpected()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var client = await Http3ClientConnection.ConnectAsync(c);
        var control = await s.OpenStreamAsync(false, default);
        await control.WriteAsync(ControlStream(PriorityUpdate(Http3FrameType.PriorityUpdateRequest, 0, "u=1")));
        await client.Closed.WaitAsync(s_timeout);
        Assert.Equal(Http3ErrorCode.FrameUnexpected, client.Error?.ErrorCode);
    }

    [Fact]
    public async Task AnUpdateOnARequestStreamIsFrameUnexpected()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var server = new Http3ServerConnection(s, (req, resp, ct) => Task.CompletedTask);
        _ = Task.Run(() => server.RunAsync());
        var st = await c.OpenStreamAsync(true, default);
        await st.WriteAsync(PriorityUpdate(Http3FrameType.PriorityUpdateRequest, 0, "u=1"));
        Assert.Equal((ulong)Http3ErrorCode.FrameUnexpected, await s.Aborted.Task.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task UpdatesForStreamsNotYetOpenAreBounded()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var server = new Http3ServerConnection(s, (req, resp, ct) => Task.CompletedTask);
        _ = Task.Run(() => server.RunAsync());
        var control = await c.OpenStreamAsync(false, default);
        // 10,000 updates for distinct future streams: the server keeps the latest 128 and lives on.
        var frames = Enumerable.Range(0, 10_000).Select(i => PriorityUpdate(Http3FrameType.PriorityUpdateRequest, (ulong)i * 4, "u=1")).ToArray();
        await control.WriteAsync(ControlStream(frames));
        for (int i = 0; i < 1000 && server.PriorityUpdates < 10_000; i++) await Task.Delay(10);
        Assert.Equal(10_000, server.PriorityUpdates);
        Assert.Null(server.Error);
        Assert.Equal(Http3ServerConnection.MaxPendingPriorityUpdates, server.PendingPriorityUpdates);
        server.Close();
    }
}
