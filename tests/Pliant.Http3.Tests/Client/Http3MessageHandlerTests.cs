using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pliant.Net;
using Pliant.Quic.Tls;

namespace Pliant.Http3.Tests.Client;

/// <summary><see cref="Http3MessageHandler"/>: HttpClient over Pliant HTTP/3 against a Pliant server on loopback.</summary>
public sealed class Http3MessageHandlerTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private static Http3MessageHandler Handler(bool fallback = false) => new()
    {
        CertificateValidation = CertificateValidation.Pin(QuicServerCertificates.Sha256(QuicLoopback.Certificate)),
        AllowTcpFallback = fallback,
    };

    private static string Url(QuicLoopback loop, string path) => $"https://127.0.0.1:{loop.EndPoint.Port}{path}";

    [Fact]
    public async Task ADefaultHttpClientGetsJsonOverHttp3()
    {
        await using var loop = await QuicLoopback.StartAsync(async (req, resp, ct) =>
        {
            resp.SetHeader("content-type", "application/json; charset=utf-8");
            resp.SetHeader("x-served-by", "pliant");
            await resp.WriteAsync(Encoding.UTF8.GetBytes("{\"path\":\"" + req.Path + "\",\"authority\":\"" + req.Authority + "\"}"), ct);
        });
        using var client = new HttpClient(Handler());
        using var response = await client.GetAsync(Url(loop, "/items?id=7")).WaitAsync(s_timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version30, response.Version);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("pliant", Assert.Single(response.Headers.GetValues("x-served-by")));
        Assert.Equal($"{{\"path\":\"/items?id=7\",\"authority\":\"127.0.0.1:{loop.EndPoint.Port}\"}}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HundredConcurrentRequestsShareOneConnection()
    {
        await using var loop = await QuicLoopback.StartAsync((req, resp, ct) => resp.WriteAsync(Encoding.ASCII.GetBytes(req.Path!), ct).AsTask());
        using var handler = Handler();
        using var client = new HttpClient(handler);
        var bodies = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => client.GetStringAsync(Url(loop, "/r/" + i)))).WaitAsync(s_timeout);
        for (int i = 0; i < 100; i++) Assert.Equal("/r/" + i, bodies[i]);
        Assert.Equal(1, handler.ConnectionsOpened);
        Assert.Single(loop.Servers);
    }

    [Fact]
    public async Task RequestHeadersAndBodyAreMapped()
    {
        Http3ServerRequest? seen = null;
        string body = "";
        await using var loop = await QuicLoopback.StartAsync(async (req, resp, ct) =>
        {
            seen = req;
            body = await new StreamReader(req.Body).ReadToEndAsync(ct);
            resp.StatusCode = 201;
        });
        using var client = new HttpClient(Handler());
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(loop, "/submit"))
        {
            Content = new StringContent("{\"a\":1}", Encoding.UTF8, "application/json"),
        };
        request.Headers.UserAgent.ParseAdd("PliantTest/1.0 (linux)");
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/plain");
        request.Headers.Add("X-Custom", "yes");
        request.Headers.ConnectionClose = true; // connection-specific: never sent in HTTP/3 (RFC 9114 §4.2)
        using var response = await client.SendAsync(request).WaitAsync(s_timeout);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.NotNull(seen);
        Assert.Equal("POST", seen!.Method);
        Assert.Equal("PliantTest/1.0 (linux)", seen.GetHeader("user-agent"));
        Assert.Equal("application/json, text/plain", seen.GetHeader("accept"));
        Assert.Equal("yes", seen.GetHeader("x-custom"));
        Assert.Equal("application/json; charset=utf-8", seen.GetHeader("content-type"));
        Assert.Equal("7", seen.GetHeader("content-length"));
        Assert.Null(seen.GetHeader("connection"));
        Assert.Equal("{\"a\":1}", body);
    }

    /// <summary>A request body written a piece at a time, each piece waiting for the previous echo.</summary>
    private sealed class PingPongContent(Func<int, Task> waitForEcho, int rounds) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            for (int i = 0; i < rounds; i++)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"ping{i};"), cancellationToken);
                await stream.FlushAsync(cancellationToken);
                await waitForEcho(i);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, default);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task RequestAndResponseBodiesStreamBothWays()
    {
        await using var loop = await QuicLoopback.StartAsync(async (req, resp, ct) =>
        {
            await resp.StartAsync(ct);
            var buf = new byte[256];
            int n;
            while ((n = await req.Body.ReadAsync(buf, ct)) > 0)
            {
                await resp.WriteAsync(buf.AsMemory(0, n), ct);
                await resp.Body.FlushAsync(ct);
            }
        });
        using var client = new HttpClient(Handler());
        var echoes = Enumerable.Range(0, 5).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(loop, "/echo"))
        {
            // Each ping is sent only after the previous one came back: only possible if both bodies stream.
            Content = new PingPongContent(i => echoes[i].Task.WaitAsync(s_timeout), 5),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_timeout);
        var stream = await response.Content.ReadAsStreamAsync();
        var received = new StringBuilder();
        var chunk = new byte[256];
        int round = 0;
        while (true)
        {
            int n = await stream.ReadAsync(chunk).AsTask().WaitAsync(s_timeout);
            if (n == 0) break;
            received.Append(Encoding.ASCII.GetString(chunk, 0, n));
            while (round < 5 && received.ToString().Contains($"ping{round};", StringComparison.Ordinal)) echoes[round++].TrySetResult();
        }
        Assert.Equal("ping0;ping1;ping2;ping3;ping4;", received.ToString());
    }

    [Fact]
    public async Task ResponseTrailersReachTrailingHeaders()
    {
        await using var loop = await QuicLoopback.StartAsync(async (req, resp, ct) =>
        {
            resp.AppendTrailer("grpc-status", "0");
            resp.AppendTrailer("x-checksum", "abc123");
            await resp.WriteAsync("payload"u8.ToArray(), ct);
        });
        using var client = new HttpClient(Handler());
        using var response = await client.GetAsync(Url(loop, "/t")).WaitAsync(s_timeout);
        Assert.Equal("payload", await response.Content.ReadAsStringAsync());
        Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        Assert.Equal("abc123", Assert.Single(response.TrailingHeaders.GetValues("x-checksum")));
    }

    [Fact]
    public async Task CancellingOneResponseResetsOnlyItsStream()
    {
        var endless = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var loop = await QuicLoopback.StartAsync(async (req, resp, ct) =>
        {
            if (req.Path != "/endless")
            {
                await resp.WriteAsync(Encoding.ASCII.GetBytes("ok " + req.Path), ct);
                return;
            }
            try
            {
                var block = new byte[16 * 1024];
                while (true) await resp.WriteAsync(block, ct);
            }
            catch (Exception ex)
            {
                endless.TrySetResult(ex);
                throw;
            }
        });
        using var handler = Handler();
        using var client = new HttpClient(handler);
        using var response = await client.GetAsync(Url(loop, "/endless"), HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_timeout);
        var body = await response.Content.ReadAsStreamAsync();
        var buf = new byte[64 * 1024];
        Assert.True(await body.ReadAsync(buf) > 0);
        using var cts = new CancellationTokenSource();
        var reading = Task.Run(async () =>
        {
            while (true) _ = await body.ReadAsync(buf, cts.Token);
        });
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(s_timeout));
        // The server's writes fail once the client's STOP_SENDING (H3_REQUEST_CANCELLED) arrives.
        Assert.NotNull(await endless.Task.WaitAsync(s_timeout));
        // The connection carries on: more requests on the same one.
        Assert.Equal("ok /after", await client.GetStringAsync(Url(loop, "/after")).WaitAsync(s_timeout));
        Assert.Equal(1, handler.ConnectionsOpened);
        Assert.Null(loop.Servers.Single().Error);
    }

    [Fact]
    public async Task CancellingBeforeTheResponseThrowsTaskCanceled()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var loop = await QuicLoopback.StartAsync(async (req, resp, ct) =>
        {
            if (req.Path == "/slow") await gate.Task.WaitAsync(ct);
            await resp.WriteAsync("ok"u8.ToArray(), ct);
        });
        using var client = new HttpClient(Handler());
        using var cts = new CancellationTokenSource();
        var slow = client.GetAsync(Url(loop, "/slow"), cts.Token);
        Assert.Equal("ok", await client.GetStringAsync(Url(loop, "/fast")).WaitAsync(s_timeout));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => slow.WaitAsync(s_timeout));
        gate.SetResult();
        Assert.Equal("ok", await client.GetStringAsync(Url(loop, "/fast2")).WaitAsync(s_timeout));
    }

    [Fact]
    public async Task AWrongCertificateIsAConnectionError()
    {
        await using var loop = await QuicLoopback.StartAsync((req, resp, ct) => Task.CompletedTask);
        using var handler = new Http3MessageHandler { CertificateValidation = CertificateValidation.Pin(new byte[32]), AllowTcpFallback = false };
        using var client = new HttpClient(handler);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(Url(loop, "/")).WaitAsync(s_timeout));
        Assert.Equal(HttpRequestError.ConnectionError, ex.HttpRequestError);
        Assert.Equal(0, handler.ConnectionsOpened);
    }

    [Fact]
    public async Task AGoAwayMovesLaterRequestsToANewConnection()
    {
        await using var loop = await QuicLoopback.StartAsync((req, resp, ct) => resp.WriteAsync("ok"u8.ToArray(), ct).AsTask());
        using var handler = Handler();
        using var client = new HttpClient(handler);
        Assert.Equal("ok", await client.GetStringAsync(Url(loop, "/1")).WaitAsync(s_timeout));
        await loop.Servers.Single().ShutdownAsync(CancellationToken.None).WaitAsync(s_timeout);
        Assert.Equal("ok", await client.GetStringAsync(Url(loop, "/2")).WaitAsync(s_timeout));
        Assert.Equal(2, handler.ConnectionsOpened);
        Assert.Equal(2, loop.Servers.Count);
    }

    /// <summary>A TCP stand-in: records requests and answers with the given headers.</summary>
    private sealed class RecordingHandler(Action<HttpResponseMessage>? decorate = null) : HttpMessageHandler
    {
        public List<(Version Version, HttpVersionPolicy Policy, Uri? Uri)> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Requests) Requests.Add((request.Version, request.VersionPolicy, request.RequestUri));
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Version = request.Version, Content = new StringContent("tcp") };
            decorate?.Invoke(response);
            return Task.FromResult(response);
        }
    }

    public static TheoryData<string, HttpVersionPolicy, bool, bool> Policies => new()
    {
        // version, policy, fallback allowed -> goes over HTTP/3?
        { "3.0", HttpVersionPolicy.RequestVersionExact, true, true },
        { "3.0", HttpVersionPolicy.RequestVersionOrHigher, true, true },
        { "3.0", HttpVersionPolicy.RequestVersionOrLower, true, true },
        { "2.0", HttpVersionPolicy.RequestVersionExact, true, false },
        { "2.0", HttpVersionPolicy.RequestVersionOrLower, true, false },
        { "2.0", HttpVersionPolicy.RequestVersionOrHigher, true, false },  // until an Alt-Svc names HTTP/3
        { "1.1", HttpVersionPolicy.RequestVersionOrLower, true, true },    // HttpClient's default with PreferHttp3
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public async Task TheVersionPolicyChoosesTheProtocol(string version, HttpVersionPolicy policy, bool fallback, bool http3)
    {
        await using var loop = await QuicLoopback.StartAsync((req, resp, ct) => resp.WriteAsync("h3"u8.ToArray(), ct).AsTask());
        var tcp = new RecordingHandler();
        using var handler = Handler(fallback);
        handler.FallbackHandler = tcp;
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(loop, "/")) { Version = Version.Parse(version), VersionPolicy = policy };
        using var response = await client.SendAsync(request).WaitAsync(s_timeout);
        Assert.Equal(http3 ? "h3" : "tcp", await response.Content.ReadAsStringAsync());
        Assert.Equal(http3 ? 0 : 1, tcp.Requests.Count);
        Assert.Equal(http3 ? 1 : 0, handler.ConnectionsOpened);
    }

    [Fact]
    public async Task WithoutFallbackAPolicyExcludingHttp3IsAVersionError()
    {
        using var handler = Handler(fallback: false);
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://127.0.0.1:1/") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(request).WaitAsync(s_timeout));
        Assert.Equal(HttpRequestError.VersionNegotiationError, ex.HttpRequestError);
        Assert.Equal(0, handler.ConnectionsOpened);
    }

    [Fact]
    public async Task NoHttp3ServerFallsBackToTcpAsHttp2()
    {
        // A UDP port nobody answers on: the handshake times out and the request goes over TCP.
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)silent.Client.LocalEndPoint!).Port;
        var tcp = new RecordingHandler();
        using var handler = Handler(fallback: true);
        handler.FallbackHandler = tcp;
        handler.ConnectTimeout = TimeSpan.FromSeconds(1);
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/") { Version = HttpVersion.Version30, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower };
        using var response = await client.SendAsync(request).WaitAsync(s_timeout);
        Assert.Equal("tcp", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpVersion.Version20, Assert.Single(tcp.Requests).Version);
        // Exact 3.0 does not fall back.
        using var exact = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/") { Version = HttpVersion.Version30, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(exact).WaitAsync(s_timeout));
        Assert.Equal(HttpRequestError.ConnectionError, ex.HttpRequestError);
        Assert.IsType<TimeoutException>(ex.InnerException);
    }

    [Fact]
    public async Task AltSvcFromTcpMovesLaterRequestsToHttp3()
    {
        await using var loop = await QuicLoopback.StartAsync((req, resp, ct) => resp.WriteAsync(Encoding.ASCII.GetBytes("h3 " + req.Authority), ct).AsTask());
        var tcp = new RecordingHandler(r => r.Headers.TryAddWithoutValidation("Alt-Svc", $"h3=\":{loop.EndPoint.Port}\"; ma=3600, h2=\":443\""));
        using var handler = Handler(fallback: true);
        handler.FallbackHandler = tcp;
        using var client = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrHigher };
        // The origin is a TCP port (nothing listens there for QUIC): only its Alt-Svc leads to HTTP/3.
        const string origin = "https://127.0.0.1:9/";
        Assert.Equal("tcp", await client.GetStringAsync(origin).WaitAsync(s_timeout));
        Assert.Equal("h3 127.0.0.1:9", await client.GetStringAsync(origin + "again").WaitAsync(s_timeout));
        Assert.Single(tcp.Requests);
        Assert.Equal(1, handler.ConnectionsOpened);
    }
}
