using Pliant.Http3.Frames;
using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests;

/// <summary>The client against a raw server writing arbitrary response streams.</summary>
public class ClientResponseTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private static byte[] Headers(params (string, string)[] fields) =>
        Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode(fields.Select(f => new Http3Field(f.Item1, f.Item2))));

    private static async Task<(Http3ClientConnection Client, Task<Http3Response> Response, InMemoryConnection Raw)> RespondAsync(byte[] response)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var client = await Http3ClientConnection.ConnectAsync(c);
        var pending = client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/" });
        while (true)
        {
            var next = await s.AcceptStreamAsync(default).AsTask().WaitAsync(s_timeout);
            Assert.NotNull(next);
            if (!next.Value.bidirectional) continue;
            var st = (InMemoryStream)next.Value.stream;
            await st.WriteAsync(response);
            st.CompleteWrites();
            return (client, pending, s);
        }
    }

    [Fact]
    public async Task InterimThenFinalWithTrailers()
    {
        var (client, pending, _) = await RespondAsync([
            .. Headers((":status", "103"), ("link", "</a.css>")),
            .. Http3FrameWriter.Frame(0x21, [0]),
            .. Headers((":status", "200"), ("content-length", "3")),
            .. Http3FrameWriter.Frame(Http3FrameType.Data, [1, 2]),
            .. Http3FrameWriter.Frame(Http3FrameType.Data, []),
            .. Http3FrameWriter.Frame(Http3FrameType.Data, [3]),
            .. Headers(("x-trailer", "t"))]);
        using var r = await pending.WaitAsync(s_timeout);
        Assert.Equal(200, r.Status);
        var ms = new MemoryStream();
        await r.Content.CopyToAsync(ms);
        Assert.Equal([1, 2, 3], ms.ToArray());
        Assert.Equal([new Http3Field("x-trailer", "t")], r.Trailers);
        Assert.Null(client.Error);
    }

    public static TheoryData<string, byte[]> MalformedResponses => new()
    {
        { "no :status", Headers(("content-type", "x")) },
        { "bad :status", Headers((":status", "20")) },
        { "101", Headers((":status", "101")) },
        { "request pseudo", Headers((":status", "200"), (":path", "/")) },
        { "uppercase", Headers((":status", "200"), ("Content-Type", "x")) },
        { "empty stream", [] },
    };

    [Theory]
    [MemberData(nameof(MalformedResponses))]
    public async Task MalformedResponseIsMessageError(string name, byte[] bytes)
    {
        _ = name;
        var (client, pending, _) = await RespondAsync(bytes);
        var ex = await Assert.ThrowsAsync<Http3Exception>(() => pending.WaitAsync(s_timeout));
        Assert.Equal(Http3ErrorCode.MessageError, ex.ErrorCode);
        Assert.Null(client.Error);
    }

    [Fact]
    public async Task ContentLengthMismatchIsMessageError()
    {
        var (client, pending, _) = await RespondAsync([.. Headers((":status", "200"), ("content-length", "5")), .. Http3FrameWriter.Frame(Http3FrameType.Data, [1])]);
        using var r = await pending.WaitAsync(s_timeout);
        var ex = await Assert.ThrowsAsync<Http3Exception>(() => r.Content.CopyToAsync(Stream.Null));
        Assert.Equal(Http3ErrorCode.MessageError, ex.ErrorCode);
        Assert.Null(client.Error);
    }

    public static TheoryData<string, byte[], Http3ErrorCode> ConnectionErrors => new()
    {
        { "DATA first", Http3FrameWriter.Frame(Http3FrameType.Data, [1]), Http3ErrorCode.FrameUnexpected },
        { "PUSH_PROMISE", [.. Http3FrameWriter.Frame(Http3FrameType.PushPromise, [0, 0, 0])], Http3ErrorCode.IdError },
        { "SETTINGS on request stream", Http3FrameWriter.Settings(new Http3Settings()), Http3ErrorCode.FrameUnexpected },
        { "dynamic reference", Http3FrameWriter.Frame(Http3FrameType.Headers, [0, 0, 0x80]), Http3ErrorCode.QpackDecompressionFailed },
        { "DATA after trailers", [.. Headers((":status", "200")), .. Headers(("x", "y")), .. Http3FrameWriter.Frame(Http3FrameType.Data, [1])], Http3ErrorCode.FrameUnexpected },
        { "truncated DATA", [.. Headers((":status", "200")), .. Http3FrameWriter.Frame(Http3FrameType.Data, [1, 2, 3])[..^1]], Http3ErrorCode.FrameError },
    };

    [Theory]
    [MemberData(nameof(ConnectionErrors))]
    public async Task ConnectionErrorsOnRequestStream(string name, byte[] bytes, Http3ErrorCode code)
    {
        _ = name;
        var (client, pending, raw) = await RespondAsync(bytes);
        var ex = await Assert.ThrowsAsync<Http3Exception>(async () =>
        {
            using var r = await pending.WaitAsync(s_timeout);
            await r.Content.CopyToAsync(Stream.Null);
        });
        Assert.Equal(code, ex.ErrorCode);
        Assert.Equal((ulong)code, await raw.Aborted.Task.WaitAsync(s_timeout));
        Assert.Equal(code, client.Error?.ErrorCode);
    }
}
