using Pliant.Http3.Frames;
using static Pliant.Http3.Tests.FrameTests;

namespace Pliant.Http3.Tests.Hostile;

/// <summary>
/// HTTP/3 and QPACK floods against a server, each bounded by a stated limit with the RFC 9114 outcome:
/// huge HEADERS (over MaxFrameSize, 64 KiB: 431, payload unread), field sections over
/// SETTINGS_MAX_FIELD_SECTION_SIZE (64 KiB decoded: 431), unknown frames before HEADERS (64 KiB: stream
/// error H3_EXCESSIVE_LOAD), a second SETTINGS (H3_FRAME_UNEXPECTED), an oversized SETTINGS
/// (H3_EXCESSIVE_LOAD), SETTINGS with thousands of parameters (64 unknown kept), floods of unknown frames
/// on the control stream and of unknown stream types (ignored at constant memory, §9, §6.2), and a
/// header section that never completes (RequestHeadersTimeout, 10 s: H3_REQUEST_REJECTED).
/// </summary>
public sealed class FrameFloodTests
{
    private static Task Ok(Http3ServerRequest req, Http3ServerResponse resp, CancellationToken ct)
    {
        resp.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static async Task ExpectConnectionErrorAsync(RawClient raw, Http3ErrorCode code)
    {
        await raw.Server.Closed.WaitAsync(RawClient.Timeout);
        Assert.Equal(code, raw.Server.Error?.ErrorCode);
        Assert.Equal((ulong)code, await raw.Connection.Aborted.Task.WaitAsync(RawClient.Timeout));
    }

    [Fact]
    public async Task HugeHeadersFrame_431WithoutReadingIt_ConnectionLives()
    {
        // A HEADERS frame announcing 1 GiB: answered 431 at once; the old code closed the whole connection.
        var raw = await RawClient.StartAsync(Ok);
        var stream = await raw.RequestAsync([.. V(Http3FrameType.Headers, 1UL << 30), .. new byte[1000]], fin: false);
        Assert.Equal(431, await RawClient.StatusAsync(stream));
        await raw.AssertStillServesAsync();
    }

    [Fact]
    public async Task FieldSectionOverTheSetting_431()
    {
        // 3,000 one-byte static-table references (":method GET", index 17): 3 KB on the wire, over 100 KB
        // decoded (each field counts its name, value and 32 bytes, RFC 9114 §4.2.2).
        var section = new List<byte> { 0, 0 };
        for (int i = 0; i < 3000; i++) section.Add(0xc0 | 17);
        var raw = await RawClient.StartAsync(Ok);
        var stream = await raw.RequestAsync(Http3FrameWriter.Frame(Http3FrameType.Headers, section.ToArray()));
        Assert.Equal(431, await RawClient.StatusAsync(stream));
        Assert.Equal(1, raw.Server.AbandonedRequests);
        await raw.AssertStillServesAsync();
    }

    [Fact]
    public async Task UnknownFramesBeforeHeaders_BoundedThenExcessiveLoadOnTheStream()
    {
        int calls = 0;
        var raw = await RawClient.StartAsync((req, resp, ct) => { Interlocked.Increment(ref calls); return Ok(req, resp, ct); });
        // 40,000 empty reserved frames (0x21 + 0x1f·N), 80 KB: over the 64 KiB allowed before HEADERS.
        var junk = Enumerable.Range(0, 40_000).SelectMany(i => Http3FrameWriter.Frame(0x21, [])).ToArray();
        var stream = await raw.Connection.OpenStreamAsync(true, default);
        try
        {
            await stream.WriteAsync((byte[])[.. junk, .. RawClient.Headers()]);
        }
        catch (IOException)
        {
            // The server stopped reading part-way: expected.
        }
        await WaitUntil(() => raw.ServerSide.Received.Any(s => s.CanWrite && s.AbortWriteCode is not null));
        var serverEnd = raw.ServerSide.Received.Single(s => s.CanWrite && s.CanRead && s.StreamId == ((IH3StreamControl)stream).StreamId);
        Assert.Equal((ulong)Http3ErrorCode.ExcessiveLoad, serverEnd.AbortWriteCode);
        Assert.Equal(0, calls);
        // A few reserved frames before HEADERS are fine.
        var ok = await raw.RequestAsync([.. Http3FrameWriter.Frame(0x21, [1, 2, 3]), .. Http3FrameWriter.Frame(0x40, []), .. RawClient.Headers()]);
        Assert.Equal(200, await RawClient.StatusAsync(ok));
    }

    [Fact]
    public async Task SecondSettings_FrameUnexpected()
    {
        var raw = await RawClient.StartAsync(Ok);
        await raw.Control.WriteAsync(Http3FrameWriter.Settings(new Http3Settings()));
        await ExpectConnectionErrorAsync(raw, Http3ErrorCode.FrameUnexpected);
    }

    [Fact]
    public async Task OversizedSettings_ExcessiveLoad()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var server = new Http3ServerConnection(s, Ok);
        _ = Task.Run(() => server.RunAsync());
        var control = await c.OpenStreamAsync(false, default);
        await control.WriteAsync((byte[])[0x00, .. V(Http3FrameType.Settings, 70_000), .. new byte[1000]]);
        await server.Closed.WaitAsync(RawClient.Timeout);
        Assert.Equal(Http3ErrorCode.ExcessiveLoad, server.Error?.ErrorCode);
    }

    [Fact]
    public void SettingsWithThousandsOfParameters_KeepsABoundedNumber()
    {
        // 15,000 distinct reserved settings in one 60 KB frame: all checked for duplicates, 64 kept.
        var payload = Enumerable.Range(0, 15_000).SelectMany(i => V(0x1fUL * (ulong)i + 0x21, 1)).ToArray();
        var settings = Http3Settings.Parse(payload);
        Assert.Equal(Http3Settings.MaxUnknownKept, settings.Unknown.Count);
        var dup = payload.Concat(V(0x21, 2)).ToArray();
        Assert.Equal(Http3ErrorCode.SettingsError, Assert.Throws<Http3Exception>(() => Http3Settings.Parse(dup)).ErrorCode);
    }

    [Fact]
    public async Task UnknownFrameFloodOnTheControlStream_IgnoredConnectionLives()
    {
        var raw = await RawClient.StartAsync(Ok);
        // 100,000 reserved frames with 1-byte payloads, then a 1 MB unknown frame: skipped without buffering.
        var flood = Enumerable.Range(0, 100_000).SelectMany(i => Http3FrameWriter.Frame(0x21 + 0x1fUL * (ulong)(i % 100), [7])).ToArray();
        await raw.Control.WriteAsync(flood);
        await raw.Control.WriteAsync(V(0x40ff, 1_000_000));
        for (int i = 0; i < 100; i++) await raw.Control.WriteAsync(new byte[10_000]);
        await raw.AssertStillServesAsync();
        Assert.False(raw.Server.Closed.IsCompleted);
    }

    [Fact]
    public async Task UnknownStreamTypeFlood_EachRefusedAndReleased()
    {
        var raw = await RawClient.StartAsync(Ok);
        for (int i = 0; i < 5_000; i++)
        {
            var st = await raw.Connection.OpenStreamAsync(false, default);
            await st.WriteAsync(V(0x21 + 0x1fUL * (ulong)i, 0xff)); // reserved type, then junk
        }
        await WaitUntil(() => raw.Server.UnknownStreamsRefused == 5_000);
        var refused = raw.ServerSide.Received.Where(s => s.CanRead && !s.CanWrite && s.AbortReadCode is not null).ToList();
        Assert.Equal(5_000, refused.Count);
        Assert.All(refused, s => Assert.Equal((ulong)Http3ErrorCode.StreamCreationError, s.AbortReadCode));
        Assert.All(refused, s => Assert.True(s.IsDisposed));
        await raw.AssertStillServesAsync();
    }

    [Fact]
    public async Task HeadersThatNeverComplete_StreamResetAndSlotFreed()
    {
        // One handler slot; a client that sends half a HEADERS frame and then nothing.
        var raw = await RawClient.StartAsync(Ok, new Http3ServerOptions { MaxConcurrentRequests = 1, RequestHeadersTimeout = TimeSpan.FromMilliseconds(200) });
        byte[] headers = RawClient.Headers();
        var slow = await raw.RequestAsync(headers[..(headers.Length / 2)], fin: false);
        await WaitUntil(() => raw.Server.HeadersTimedOut == 1);
        var serverEnd = raw.ServerSide.Received.Single(s => s.CanWrite && s.StreamId == ((IH3StreamControl)slow).StreamId);
        Assert.Equal((ulong)Http3ErrorCode.RequestRejected, serverEnd.AbortWriteCode);
        Assert.Equal(1, raw.Server.AbandonedRequests);
        // The slot is free again.
        await raw.AssertStillServesAsync();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(RawClient.Timeout);
        while (!condition()) await Task.Delay(5, cts.Token);
    }
}
