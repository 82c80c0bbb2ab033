using Xunit.Abstractions;
using System.Text;

namespace Pliant.Http3.Tests.Qpack;

/// <summary>The dynamic table between a Pliant client and a Pliant server over real QUIC.</summary>
public sealed class QpackEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private static async Task<(long RequestBytes, long ResponseBytes, Http3ClientConnection Client, Http3ServerConnection Server)> RunAsync(ulong encoderCapacity)
    {
        await using var loop = await QuicLoopback.StartAsync(async (req, resp, ct) =>
        {
            resp.SetHeader("content-type", "application/json; charset=utf-8");
            resp.SetHeader("cache-control", "no-store");
            resp.SetHeader("server", "pliant-test");
            resp.SetHeader("x-request-id", Guid.NewGuid().ToString("N"));
            await resp.WriteAsync(Encoding.ASCII.GetBytes("{\"path\":\"" + req.Path + "\"}"), ct);
        }, new Http3ServerOptions { QpackEncoderTableCapacity = encoderCapacity });
        var (quic, http) = await loop.ConnectAsync(new Http3ClientOptions { QpackEncoderTableCapacity = encoderCapacity });
        await using var _ = quic;
        for (int i = 0; i < 100; i++)
        {
            var request = new Http3Request { Authority = "api.example.com", Path = "/api/items/" + i };
            request.Headers.Add(new("user-agent", "PliantClient/1.0 (linux; x64) dotnet/10"));
            request.Headers.Add(new("accept", "application/json"));
            request.Headers.Add(new("accept-language", "en-US,en;q=0.9"));
            request.Headers.Add(new("x-client-id", "c0ffee-1234-5678"));
            request.Headers.Add(new("x-tenant", "contoso"));
            using var response = await http.SendRequestAsync(request).WaitAsync(s_timeout);
            Assert.Equal(200, response.Status);
            Assert.Equal("application/json; charset=utf-8", response.GetHeader("content-type"));
            Assert.Equal("{\"path\":\"/api/items/" + i + "\"}", await new StreamReader(response.Content).ReadToEndAsync());
        }
        var server = loop.Servers.Single();
        long requestBytes = http.Encoder.SectionBytes + http.Encoder.Instructions.BytesWritten;
        long responseBytes = server.Encoder.SectionBytes + server.Encoder.Instructions.BytesWritten;
        await http.CloseAsync();
        return (requestBytes, responseBytes, http, server);
    }

    /// <summary>Issue 14: header bytes on the wire for 100 similar requests drop by at least half against literals.</summary>
    [Fact]
    public async Task HundredSimilarRequestsNeedLessThanHalfTheHeaderBytes()
    {
        var literal = await RunAsync(encoderCapacity: 0);
        var dynamic = await RunAsync(encoderCapacity: 4096);
        Assert.Equal(0, literal.Client.Encoder.InsertsSent);
        Assert.True(dynamic.Client.Encoder.InsertsSent > 0);
        Assert.True(dynamic.Server.Decoder.DynamicReferencesDecoded >= 400, $"server decoded {dynamic.Server.Decoder.DynamicReferencesDecoded} dynamic references");
        Assert.True(dynamic.Client.Decoder.DynamicReferencesDecoded >= 200, $"client decoded {dynamic.Client.Decoder.DynamicReferencesDecoded} dynamic references");
        double requestRatio = (double)dynamic.RequestBytes / literal.RequestBytes;
        double responseRatio = (double)dynamic.ResponseBytes / literal.ResponseBytes;
        output.WriteLine($"requests: {dynamic.RequestBytes} / {literal.RequestBytes} bytes ({requestRatio:P1}); responses: {dynamic.ResponseBytes} / {literal.ResponseBytes} ({responseRatio:P1})");
        Assert.True(requestRatio <= 0.5, $"requests: {dynamic.RequestBytes} bytes with the table vs {literal.RequestBytes} without ({requestRatio:P0})");
        Assert.True(responseRatio <= 0.8, $"responses: {dynamic.ResponseBytes} vs {literal.ResponseBytes} ({responseRatio:P0})");
    }
}
