using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Pliant.Http3;
using Pliant.Net;
using Pliant.Quic.Tls;
using Pliant.Samples.Http3Api;

namespace Pliant.AspNetCore.Tests;

/// <summary>
/// samples/Http3Api's endpoints under Kestrel with Pliant as QUIC transport, fetched by HttpClient through
/// <see cref="Http3MessageHandler"/> (issue 14's "Done when": JSON, 100 concurrent requests on one connection, a
/// 100 MiB download intact, a reset mid-body that leaves the others alone, Alt-Svc on the TCP listener).
/// </summary>
public sealed class SampleApiTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);

    private static Task<KestrelHost> StartAsync() => KestrelHost.StartAsync(Http3ApiEndpoints.Map);

    private static Http3MessageHandler Handler(bool fallback = false) => new()
    {
        CertificateValidation = CertificateValidation.Pin(QuicServerCertificates.Sha256(KestrelHost.Certificate)),
        AllowTcpFallback = fallback,
    };

    private static HttpClient Client(Http3MessageHandler handler) => new(handler)
    {
        DefaultRequestVersion = HttpVersion.Version30,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = s_timeout,
    };

    private static string Url(KestrelHost host, string path) => $"https://127.0.0.1:{host.Port}{path}";

    [Fact]
    public async Task JsonOverHttp3()
    {
        await using var host = await StartAsync();
        using var handler = Handler();
        using var client = Client(handler);
        using var response = await client.GetAsync(Url(host, "/"));
        Assert.Equal(HttpVersion.Version30, response.Version);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("HTTP/3", json.RootElement.GetProperty("protocol").GetString());
        Assert.Equal("hello from Kestrel over Pliant", json.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task HundredConcurrentRequestsOnOneConnection()
    {
        await using var host = await StartAsync();
        using var handler = Handler();
        using var client = Client(handler);
        var bodies = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => client.GetStringAsync(Url(host, "/stream?count=20"))));
        string expected = string.Concat(Enumerable.Range(0, 20).Select(i => $"event {i}\n"));
        Assert.All(bodies, b => Assert.Equal(expected, b));
        Assert.Equal(1, handler.ConnectionsOpened);
    }

    private static async Task<(long Length, bool Intact)> ReadPatternAsync(Stream body, long stopAfter = long.MaxValue)
    {
        var buffer = new byte[64 * 1024];
        var expected = new byte[buffer.Length];
        long offset = 0;
        bool intact = true;
        int n;
        while (offset < stopAfter && (n = await body.ReadAsync(buffer)) > 0)
        {
            Http3ApiEndpoints.Fill(offset, expected.AsSpan(0, n));
            intact &= buffer.AsSpan(0, n).SequenceEqual(expected.AsSpan(0, n));
            offset += n;
        }
        return (offset, intact);
    }

    [Fact]
    public async Task AHundredMebibyteDownloadArrivesIntactWhileAResetDownloadLeavesItAlone()
    {
        await using var host = await StartAsync();
        using var handler = Handler();
        using var client = Client(handler);
        const long size = 100L << 20;
        using var big = await client.GetAsync(Url(host, $"/download?size={size}"), HttpCompletionOption.ResponseHeadersRead);
        using var doomed = await client.GetAsync(Url(host, $"/download?size={size}"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(size, big.Content.Headers.ContentLength);
        var bigRead = ReadPatternAsync(await big.Content.ReadAsStreamAsync());
        // The second download is abandoned after 1 MiB: its stream is reset (H3_REQUEST_CANCELLED).
        var doomedStream = await doomed.Content.ReadAsStreamAsync();
        var (partial, partialIntact) = await ReadPatternAsync(doomedStream, stopAfter: 1 << 20);
        Assert.True(partialIntact);
        Assert.True(partial >= 1 << 20);
        await doomedStream.DisposeAsync();
        var (length, intact) = await bigRead.WaitAsync(s_timeout);
        Assert.Equal(size, length);
        Assert.True(intact, "the 100 MiB download differs from the pattern");
        // The connection still serves.
        Assert.Contains("HTTP/3", await client.GetStringAsync(Url(host, "/")));
        Assert.Equal(1, handler.ConnectionsOpened);
    }

    [Fact]
    public async Task AnEndpointThatDoesNotChooseItsProtocolsServesHttp3()
    {
        await using var host = await KestrelHost.StartAsync(Http3ApiEndpoints.Map, protocols: null);
        using var handler = Handler();
        using var client = Client(handler);
        using var response = await client.GetAsync(Url(host, "/"));
        Assert.Equal(HttpVersion.Version30, response.Version);
    }

    [Fact]
    public async Task TheTcpListenerAdvertisesHttp3AndTheHandlerMovesThere()
    {
        await using var host = await StartAsync();
        using var handler = Handler(fallback: true);
        // HTTP/2 or higher: the first request goes over TCP (nothing known about HTTP/3 yet) ...
        using var client = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrHigher, Timeout = s_timeout };
        using (var first = await client.GetAsync(Url(host, "/")))
        {
            Assert.Equal(HttpVersion.Version20, first.Version);
            Assert.StartsWith($"h3=\":{host.Port}\"", first.Headers.NonValidated["Alt-Svc"].ToString(), StringComparison.Ordinal);
        }
        // ... whose Alt-Svc moves the next one to HTTP/3.
        using (var second = await client.GetAsync(Url(host, "/")))
        {
            Assert.Equal(HttpVersion.Version30, second.Version);
            Assert.Contains("HTTP/3", await second.Content.ReadAsStringAsync());
        }
        Assert.Equal(1, handler.FallbackRequests);
        Assert.Equal(1, handler.ConnectionsOpened);
    }
}
