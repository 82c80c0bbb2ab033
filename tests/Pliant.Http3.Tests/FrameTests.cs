using Pliant.Http3.Frames;
using Pliant.Http3.Qpack;
using Pliant.Http3.Session;
using Pliant.Quic.Wire;

namespace Pliant.Http3.Tests;

public class FrameTests
{
    internal static byte[] V(params ulong[] values)
    {
        var list = new List<byte>();
        Span<byte> b = stackalloc byte[8];
        foreach (var v in values) list.AddRange(b[..VarInt.Write(b, v)]);
        return [.. list];
    }

    [Fact]
    public void ErrorCodeValues()
    {
        Assert.Equal(0x100UL, (ulong)Http3ErrorCode.NoError);
        Assert.Equal(0x10eUL, (ulong)Http3ErrorCode.MessageError);
        Assert.Equal(0x201UL, (ulong)Http3ErrorCode.QpackEncoderStreamError);
    }

    [Fact]
    public void ReservedTypes()
    {
        Assert.True(Http3FrameType.IsReserved(0x21));
        Assert.True(Http3FrameType.IsReserved(0x21 + 0x1f * 1000));
        Assert.False(Http3FrameType.IsReserved(0x20));
        Assert.False(Http3FrameType.IsReserved(0x04));
    }

    [Fact]
    public void SettingsRoundTrip()
    {
        var s = new Http3Settings { MaxFieldSectionSize = 16384 };
        s.Unknown.Add((0x21 + 0x1f, 7));
        byte[] frame = Http3FrameWriter.Settings(s);
        Assert.Equal(0x04, frame[0]);
        var p = Http3Settings.Parse(frame.AsSpan(2));
        Assert.Equal(0UL, p.QpackMaxTableCapacity);
        Assert.Equal(0UL, p.QpackBlockedStreams);
        Assert.Equal(16384UL, p.MaxFieldSectionSize);
        Assert.Equal([(0x21UL + 0x1f, 7UL)], p.Unknown);
    }

    [Theory]
    [InlineData(new ulong[] { 6, 100, 6, 200 }, Http3ErrorCode.SettingsError)]
    [InlineData(new ulong[] { 0x02, 1 }, Http3ErrorCode.SettingsError)]
    [InlineData(new ulong[] { 0x03, 1 }, Http3ErrorCode.SettingsError)]
    [InlineData(new ulong[] { 0x04, 1 }, Http3ErrorCode.SettingsError)]
    [InlineData(new ulong[] { 0x05, 1 }, Http3ErrorCode.SettingsError)]
    [InlineData(new ulong[] { 6 }, Http3ErrorCode.FrameError)]
    public void SettingsErrors(ulong[] payload, Http3ErrorCode code)
    {
        var ex = Assert.Throws<Http3Exception>(() => Http3Settings.Parse(V(payload)));
        Assert.Equal(code, ex.ErrorCode);
    }

    [Fact]
    public void SingleVarIntPayload()
    {
        Assert.Equal(8UL, Http3FramePayload.ReadSingleVarInt(V(8), "GOAWAY"));
        Assert.Equal(Http3ErrorCode.FrameError, Assert.Throws<Http3Exception>(() => Http3FramePayload.ReadSingleVarInt([.. V(8), 0], "GOAWAY")).ErrorCode);
        Assert.Equal(Http3ErrorCode.FrameError, Assert.Throws<Http3Exception>(() => Http3FramePayload.ReadSingleVarInt([], "GOAWAY")).ErrorCode);
        Assert.Equal(Http3ErrorCode.FrameError, Assert.Throws<Http3Exception>(() => Http3FramePayload.ReadSingleVarInt([0x40], "GOAWAY")).ErrorCode);
    }

    [Fact]
    public async Task ReaderReadsFramesAndCleanEnd()
    {
        byte[] data = [.. Http3FrameWriter.Frame(0x21, [1, 2, 3]), .. Http3FrameWriter.Frame(Http3FrameType.Data, [9, 8])];
        var r = new Http3FrameReader(new MemoryStream(data));
        var h = await r.ReadFrameHeaderAsync(default);
        Assert.Equal((0x21UL, 3UL), h);
        await r.SkipAsync(3, default);
        h = await r.ReadFrameHeaderAsync(default);
        Assert.Equal((0UL, 2UL), h);
        var buf = new byte[10];
        Assert.Equal(2, await r.ReadSomeAsync(buf.AsMemory(0, 2), default));
        Assert.Null(await r.ReadFrameHeaderAsync(default));
    }

    [Fact]
    public async Task TruncatedFramesAreFrameErrors()
    {
        byte[] frame = Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode([new(":status", "200")]));
        frame = [.. V(0x4000), .. frame[1..]]; // 4-byte... make type a 2-byte varint to cut inside it too
        for (int cut = 1; cut < frame.Length; cut++)
        {
            var r = new Http3FrameReader(new MemoryStream(frame[..cut]));
            var ex = await Assert.ThrowsAsync<Http3Exception>(async () =>
            {
                var h = await r.ReadFrameHeaderAsync(default) ?? throw new InvalidOperationException("no header");
                await r.ReadPayloadAsync(h.Length, default);
            });
            Assert.Equal(Http3ErrorCode.FrameError, ex.ErrorCode);
        }
    }

    [Fact]
    public async Task OversizedFrameIsExcessiveLoad()
    {
        var r = new Http3FrameReader(new MemoryStream(V(Http3FrameType.Headers, 1_000_000)), maxFrameSize: 1000);
        var h = await r.ReadFrameHeaderAsync(default);
        var ex = await Assert.ThrowsAsync<Http3Exception>(async () => await r.ReadPayloadAsync(h!.Value.Length, default));
        Assert.Equal(Http3ErrorCode.ExcessiveLoad, ex.ErrorCode);
    }

    /// <summary>Parses a whole request stream the way the server does, without a connection.</summary>
    private static async Task ParseRequestStreamAsync(byte[] bytes)
    {
        var r = new Http3FrameReader(new MemoryStream(bytes), maxFrameSize: 4096);
        var buf = new byte[100];
        while (await r.ReadFrameHeaderAsync(default) is { } h)
        {
            switch (h.Type)
            {
                case Http3FrameType.Headers:
                    Http3MessageValidator.ValidateRequest(QpackDecoder.Decode(await r.ReadPayloadAsync(h.Length, default)));
                    break;
                case Http3FrameType.Settings:
                    Http3Settings.Parse(await r.ReadPayloadAsync(h.Length, default));
                    break;
                case Http3FrameType.GoAway or Http3FrameType.MaxPushId or Http3FrameType.CancelPush:
                    Http3FramePayload.ReadSingleVarInt(await r.ReadPayloadAsync(h.Length, default), "x");
                    break;
                case Http3FrameType.Data:
                    ulong left = h.Length;
                    while (left > 0)
                    {
                        int n = await r.ReadSomeAsync(buf.AsMemory(0, (int)Math.Min(left, 100UL)), default);
                        if (n == 0) throw new Http3Exception(Http3ErrorCode.FrameError, "truncated DATA");
                        left -= (ulong)n;
                    }
                    break;
                default:
                    await r.SkipAsync(h.Length, default);
                    break;
            }
        }
    }

    [Fact]
    public async Task MutatedStreamsOnlyThrowHttp3Exception()
    {
        byte[] valid =
        [
            .. Http3FrameWriter.Settings(new Http3Settings { MaxFieldSectionSize = 100 }),
            .. Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode(
                [new(":method", "POST"), new(":scheme", "https"), new(":authority", "a.example"), new(":path", "/upload?x=1"), new("content-type", "text/plain"), new("x-y", "zzzz")])),
            .. Http3FrameWriter.Frame(Http3FrameType.Data, new byte[40]),
            .. Http3FrameWriter.VarIntFrame(Http3FrameType.GoAway, 4),
            .. Http3FrameWriter.Frame(0x21, [1, 2]),
        ];
        await ParseRequestStreamAsync(valid);
        var rng = new Random(1234);
        int errors = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] m = (byte[])valid.Clone();
            for (int f = rng.Next(1, 4); f > 0; f--) m[rng.Next(m.Length)] = (byte)rng.Next(256);
            if (rng.Next(3) == 0) m = m[..rng.Next(m.Length)];
            try
            {
                await ParseRequestStreamAsync(m);
            }
            catch (Http3Exception)
            {
                errors++;
            }
        }
        Assert.True(errors > 100);
    }
}
