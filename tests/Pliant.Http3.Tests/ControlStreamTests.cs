using Pliant.Http3.Frames;
using static Pliant.Http3.Tests.FrameTests;

namespace Pliant.Http3.Tests;

/// <summary>Connection errors from the peer's unidirectional streams, against a raw peer.</summary>
public class ControlStreamTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private static byte[] Settings() => Http3FrameWriter.Settings(new Http3Settings());

    private static async Task<(Http3ClientConnection Client, InMemoryConnection Raw)> ClientWithRawServerAsync()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var client = await Http3ClientConnection.ConnectAsync(c);
        return (client, s);
    }

    private static async Task WriteUniAsync(InMemoryConnection raw, byte[] bytes, bool fin = false)
    {
        var st = await raw.OpenStreamAsync(false, default);
        await st.WriteAsync(bytes);
        if (fin) ((IH3StreamControl)st).CompleteWrites();
    }

    private static async Task ExpectConnectionErrorAsync(Http3ClientConnection client, InMemoryConnection raw, Http3ErrorCode code)
    {
        await client.Closed.WaitAsync(s_timeout);
        Assert.NotNull(client.Error);
        Assert.Equal(code, client.Error!.ErrorCode);
        Assert.Equal((ulong)code, await raw.Aborted.Task.WaitAsync(s_timeout));
    }

    private static byte[] QpackInt(byte flags, int prefix, ulong value)
    {
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        Pliant.Http3.Qpack.QpackInteger.Encode(w, flags, prefix, value);
        return w.WrittenSpan.ToArray();
    }

    public static TheoryData<string, byte[], Http3ErrorCode> ControlCases => new()
    {
        { "first frame not SETTINGS", [0x00, .. Http3FrameWriter.VarIntFrame(Http3FrameType.GoAway, 0)], Http3ErrorCode.MissingSettings },
        { "DATA on control", [0x00, .. Settings(), .. Http3FrameWriter.Frame(Http3FrameType.Data, [1])], Http3ErrorCode.FrameUnexpected },
        { "HEADERS on control", [0x00, .. Settings(), .. Http3FrameWriter.Frame(Http3FrameType.Headers, [0, 0])], Http3ErrorCode.FrameUnexpected },
        { "second SETTINGS", [0x00, .. Settings(), .. Settings()], Http3ErrorCode.FrameUnexpected },
        { "duplicate setting", [0x00, .. Http3FrameWriter.Frame(Http3FrameType.Settings, V(6, 1, 6, 2))], Http3ErrorCode.SettingsError },
        { "HTTP/2 setting", [0x00, .. Http3FrameWriter.Frame(Http3FrameType.Settings, V(0x02, 0))], Http3ErrorCode.SettingsError },
        { "HTTP/2 PING frame", [0x00, .. Settings(), .. Http3FrameWriter.Frame(0x06, new byte[8])], Http3ErrorCode.FrameUnexpected },
        { "MAX_PUSH_ID from server", [0x00, .. Settings(), .. Http3FrameWriter.VarIntFrame(Http3FrameType.MaxPushId, 3)], Http3ErrorCode.FrameUnexpected },
        { "CANCEL_PUSH without MAX_PUSH_ID", [0x00, .. Settings(), .. Http3FrameWriter.VarIntFrame(Http3FrameType.CancelPush, 0)], Http3ErrorCode.IdError },
        { "GOAWAY with a non-request id", [0x00, .. Settings(), .. Http3FrameWriter.VarIntFrame(Http3FrameType.GoAway, 2)], Http3ErrorCode.IdError },
        { "GOAWAY id increases", [0x00, .. Settings(), .. Http3FrameWriter.VarIntFrame(Http3FrameType.GoAway, 4), .. Http3FrameWriter.VarIntFrame(Http3FrameType.GoAway, 8)], Http3ErrorCode.IdError },
        { "GOAWAY with trailing byte", [0x00, .. Settings(), .. Http3FrameWriter.Frame(Http3FrameType.GoAway, [4, 0])], Http3ErrorCode.FrameError },
        { "push stream", [0x01, 0x00], Http3ErrorCode.IdError },
        { "QPACK encoder insert", [0x02, 0xc0, 0x01, 0x61], Http3ErrorCode.QpackEncoderStreamError },
        { "QPACK encoder capacity above ours", [0x02, .. QpackInt(0x20, 5, 4097)], Http3ErrorCode.QpackEncoderStreamError },
        { "QPACK duplicate of nothing", [0x02, 0x3f, 0xe1, 0x1f, 0x00], Http3ErrorCode.QpackEncoderStreamError },
        { "QPACK insert with a bad static name", [0x02, 0x3f, 0xe1, 0x1f, 0xff, 0x25, 0x01, 0x61], Http3ErrorCode.QpackEncoderStreamError },
        { "QPACK decoder ack without a section", [0x03, 0x84], Http3ErrorCode.QpackDecoderStreamError },
        { "QPACK decoder Insert Count Increment", [0x03, 0x01], Http3ErrorCode.QpackDecoderStreamError },
    };

    [Theory]
    [MemberData(nameof(ControlCases))]
    public async Task ControlStreamViolations(string name, byte[] stream, Http3ErrorCode code)
    {
        _ = name;
        var (client, raw) = await ClientWithRawServerAsync();
        await WriteUniAsync(raw, stream);
        await ExpectConnectionErrorAsync(client, raw, code);
    }

    [Fact]
    public async Task ClosingControlStreamIsClosedCriticalStream()
    {
        var (client, raw) = await ClientWithRawServerAsync();
        await WriteUniAsync(raw, [0x00, .. Settings()], fin: true);
        await ExpectConnectionErrorAsync(client, raw, Http3ErrorCode.ClosedCriticalStream);
    }

    [Fact]
    public async Task ClosingQpackStreamIsClosedCriticalStream()
    {
        var (client, raw) = await ClientWithRawServerAsync();
        await WriteUniAsync(raw, [0x02, 0x20], fin: true);
        await ExpectConnectionErrorAsync(client, raw, Http3ErrorCode.ClosedCriticalStream);
    }

    [Fact]
    public async Task TruncatedControlFrameIsFrameError()
    {
        var (client, raw) = await ClientWithRawServerAsync();
        byte[] goaway = Http3FrameWriter.VarIntFrame(Http3FrameType.GoAway, 400);
        await WriteUniAsync(raw, [0x00, .. Settings(), .. goaway[..^1]], fin: true);
        await ExpectConnectionErrorAsync(client, raw, Http3ErrorCode.FrameError);
    }

    [Fact]
    public async Task SecondControlStreamIsStreamCreationError()
    {
        var (client, raw) = await ClientWithRawServerAsync();
        await WriteUniAsync(raw, [0x00, .. Settings()]);
        await client.PeerSettings.WaitAsync(s_timeout);
        await WriteUniAsync(raw, [0x00, .. Settings()]);
        await ExpectConnectionErrorAsync(client, raw, Http3ErrorCode.StreamCreationError);
    }

    [Fact]
    public async Task ServerInitiatedBidiStreamIsStreamCreationError()
    {
        var (client, raw) = await ClientWithRawServerAsync();
        await raw.OpenStreamAsync(true, default);
        await ExpectConnectionErrorAsync(client, raw, Http3ErrorCode.StreamCreationError);
    }

    [Fact]
    public async Task UnknownAndReservedAreIgnored()
    {
        var (client, raw) = await ClientWithRawServerAsync();
        await WriteUniAsync(raw, [.. V(0x21 + 0x1f), 1, 2, 3]);          // reserved stream type
        await WriteUniAsync(raw, [.. V(0x54), 9, 9], fin: true);          // unknown stream type
        await WriteUniAsync(raw, [], fin: true);                          // closed before the type
        await WriteUniAsync(raw, [0x02, 0x20]);                           // capacity 0 is fine
        await WriteUniAsync(raw, [0x03, 0x44]);                           // cancel of a stream without references
        await WriteUniAsync(raw, [0x00, .. Http3FrameWriter.Frame(Http3FrameType.Settings, V(0x21, 5, 6, 1000)),
            .. Http3FrameWriter.Frame(0x21, [1, 2, 3]), .. Http3FrameWriter.Frame(0x1234, []),
            .. Http3FrameWriter.VarIntFrame(Http3FrameType.GoAway, 8), .. Http3FrameWriter.VarIntFrame(Http3FrameType.GoAway, 4)]);
        var settings = await client.PeerSettings.WaitAsync(s_timeout);
        Assert.Equal(1000UL, settings.MaxFieldSectionSize);
        for (int i = 0; i < 50 && client.PeerGoAwayId != 4; i++) await Task.Delay(20);
        Assert.Equal(4UL, client.PeerGoAwayId);
        Assert.Null(client.Error);
        Assert.False(client.Closed.IsCompleted);
        await client.CloseAsync();
        Assert.Equal((ulong)Http3ErrorCode.NoError, raw.Aborted.Task.Result);
    }
}
