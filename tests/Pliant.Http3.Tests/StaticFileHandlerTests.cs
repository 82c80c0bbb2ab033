using System.Security.Cryptography;
using Pliant.Http3.Server;

namespace Pliant.Http3.Tests;

public sealed class StaticFileHandlerTests : IDisposable
{
    private readonly string _dir;
    private readonly string _root;
    private readonly byte[] _big = RandomNumberGenerator.GetBytes(300_000);

    public StaticFileHandlerTests()
    {
        _dir = Path.Combine(Path.GetTempPath(), "pliant-h3-" + Guid.NewGuid().ToString("N"));
        _root = Path.Combine(_dir, "www");
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        File.WriteAllText(Path.Combine(_root, "index.html"), "<h1>hi</h1>");
        File.WriteAllText(Path.Combine(_root, "sub", "index.html"), "sub");
        File.WriteAllText(Path.Combine(_root, "a b.txt"), "space");
        File.WriteAllBytes(Path.Combine(_root, "big.bin"), _big);
        File.WriteAllText(Path.Combine(_dir, "secret.txt"), "secret");
        Directory.CreateDirectory(Path.Combine(_dir, "www2"));
        File.WriteAllText(Path.Combine(_dir, "www2", "x.txt"), "sibling");
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("/index.html", "index.html")]
    [InlineData("/", "index.html")]
    [InlineData("/sub", "sub/index.html")]
    [InlineData("/sub/", "sub/index.html")]
    [InlineData("/a%20b.txt?q=1", "a b.txt")]
    [InlineData("/sub/../index.html", null)]
    [InlineData("/../secret.txt", null)]
    [InlineData("/%2e%2e/secret.txt", null)]
    [InlineData("/..%2fsecret.txt", null)]
    [InlineData("/../www2/x.txt", null)]
    [InlineData("/%00", null)]
    [InlineData("/..\\secret.txt", null)]
    [InlineData("/empty", null)]
    [InlineData("/missing", null)]
    [InlineData("index.html", null)]
    [InlineData("", null)]
    public void Resolve(string path, string? expected)
    {
        var h = new StaticFileHandler(_root);
        string? got = h.Resolve(path);
        if (expected is null) Assert.Null(got);
        else Assert.Equal(Path.GetFullPath(Path.Combine(_root, expected)), got);
    }

    [Fact]
    public async Task ServesOverHttp3()
    {
        var handler = new StaticFileHandler(_root);
        var p = await EndToEndTests.StartAsync(handler.HandleAsync);
        var timeout = TimeSpan.FromSeconds(30);

        using (var r = await p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/big.bin" }).WaitAsync(timeout))
        {
            Assert.Equal(200, r.Status);
            Assert.Equal("300000", r.GetHeader("content-length"));
            Assert.Equal("application/octet-stream", r.GetHeader("content-type"));
            var ms = new MemoryStream();
            await r.Content.CopyToAsync(ms).WaitAsync(timeout);
            Assert.Equal(_big, ms.ToArray());
        }
        using (var r = await p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/" }).WaitAsync(timeout))
        {
            Assert.Equal(200, r.Status);
            Assert.Equal("text/html; charset=utf-8", r.GetHeader("content-type"));
            Assert.Equal("<h1>hi</h1>", await new StreamReader(r.Content).ReadToEndAsync());
        }
        using (var r = await p.Client.SendRequestAsync(new Http3Request { Method = "HEAD", Authority = "a", Path = "/big.bin" }).WaitAsync(timeout))
        {
            Assert.Equal(200, r.Status);
            Assert.Equal("300000", r.GetHeader("content-length"));
            Assert.Equal(-1, r.Content.ReadByte());
        }
        using (var r = await p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/../secret.txt" }).WaitAsync(timeout))
            Assert.Equal(404, r.Status);
        using (var r = await p.Client.SendRequestAsync(new Http3Request { Method = "POST", Authority = "a", Path = "/index.html", Content = new MemoryStream(new byte[10]) }).WaitAsync(timeout))
        {
            Assert.Equal(405, r.Status);
            Assert.Equal("GET, HEAD", r.GetHeader("allow"));
        }
        await p.Client.CloseAsync();
    }
}
