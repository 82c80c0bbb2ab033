using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pliant.Http3;
using Pliant.Http3.Frames;
using Pliant.Http3.Qpack;
using Pliant.Net;

namespace Pliant.AspNetCore.Tests;

/// <summary>
/// Issue 14 "bad input": malformed and oversized requests to Kestrel over Pliant get RFC 9114's answers
/// (H3_MESSAGE_ERROR, 431), and another connection to the same app is served all along.
/// </summary>
public sealed class BadRequestTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private static byte[] Headers(params (string Name, string Value)[] fields) =>
        Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode(fields.Select(f => new Http3Field(f.Name, f.Value))));

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "uppercase field name", Headers((":method", "GET"), (":scheme", "https"), (":authority", "localhost"), (":path", "/"), ("X-Upper", "1")) },
        { "missing :path", Headers((":method", "GET"), (":scheme", "https"), (":authority", "localhost")) },
        { "pseudo-header after a regular one", Headers((":method", "GET"), ("accept", "*/*"), (":scheme", "https"), (":authority", "localhost"), (":path", "/")) },
        { "connection-specific field", Headers((":method", "GET"), (":scheme", "https"), (":authority", "localhost"), (":path", "/"), ("connection", "close")) },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task AMalformedRequestIsAStreamErrorAndTheAppServesOn(string name, byte[] headers)
    {
        _ = name;
        await using var host = await KestrelHost.StartAsync(app => app.MapGet("/", () => "ok"));
        var (bad, _) = await host.ConnectAsync();
        await using var __ = bad;
        var stream = await bad.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        await stream.WriteAsync(headers, completeWrites: true);
        // RFC 9114 §4.1.2: a malformed request is a stream error of type H3_MESSAGE_ERROR (0x10e).
        var ex = await Assert.ThrowsAsync<QuicException>(async () =>
        {
            var buf = new byte[1024];
            while (await stream.ReadAsync(buf).AsTask().WaitAsync(s_timeout) > 0) { }
        });
        Assert.Equal(0x10e, ex.ApplicationErrorCode);

        var (good, http) = await host.ConnectAsync();
        await using var ___ = good;
        using var response = await http.SendRequestAsync(new Http3Request { Authority = "localhost", Path = "/" }).WaitAsync(s_timeout);
        Assert.Equal(200, response.Status);
        Assert.Equal("ok", await new StreamReader(response.Content).ReadToEndAsync());
    }

    [Fact]
    public async Task OversizedHeadersGet431AndTheConnectionServesOn()
    {
        await using var host = await KestrelHost.StartAsync(app => app.MapGet("/", () => "ok"));
        var (quic, http) = await host.ConnectAsync();
        await using var _ = quic;
        var big = new Http3Request { Authority = "localhost", Path = "/" };
        big.Headers.Add(new Http3Field("x-big", new string('a', 40_000))); // over Kestrel's 32 KiB MaxRequestHeadersTotalSize
        using (var response = await http.SendRequestAsync(big).WaitAsync(s_timeout))
            Assert.Equal(StatusCodes.Status431RequestHeaderFieldsTooLarge, response.Status);
        using (var response = await http.SendRequestAsync(new Http3Request { Authority = "localhost", Path = "/" }).WaitAsync(s_timeout))
            Assert.Equal(200, response.Status);
    }
}
