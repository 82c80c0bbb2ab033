using Pliant.Http3.Server;

namespace Pliant.Http3.Tests.Hostile;

/// <summary>
/// Issue 11 item 13: the static file handler serves only regular, non-hidden files whose real path (all
/// symbolic links resolved) lies under the root's real path. Each case is a path an attacker would try.
/// </summary>
public sealed class StaticFileEscapeTests : IDisposable
{
    private readonly string _dir;
    private readonly string _root;
    private readonly string _outside;

    public StaticFileEscapeTests()
    {
        _dir = Path.Combine(Path.GetTempPath(), "pliant-h3-escape-" + Guid.NewGuid().ToString("N"));
        _root = Path.Combine(_dir, "www");
        _outside = Path.Combine(_dir, "outside");
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        Directory.CreateDirectory(Path.Combine(_root, ".git"));
        Directory.CreateDirectory(Path.Combine(_root, "dir-with-bad-index"));
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_root, "index.html"), "home");
        File.WriteAllText(Path.Combine(_root, "sub", "page.html"), "page");
        File.WriteAllText(Path.Combine(_root, ".env"), "SECRET=1");
        File.WriteAllText(Path.Combine(_root, ".git", "config"), "[core]");
        File.WriteAllText(Path.Combine(_root, "sub", ".hidden"), "hidden");
        File.WriteAllText(Path.Combine(_outside, "passwd"), "root:x:0:0");
        File.WriteAllText(Path.Combine(_root, "%2e%2e"), "literal name");
        // root/link -> outside (a directory link): the old check looked at the last component only.
        Directory.CreateSymbolicLink(Path.Combine(_root, "link"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_root, "rel-link"), Path.Combine("..", "outside"));
        File.CreateSymbolicLink(Path.Combine(_root, "file-link"), Path.Combine(_outside, "passwd"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "inside-link"), Path.Combine(_root, "sub"));
        File.CreateSymbolicLink(Path.Combine(_root, "page-link.html"), Path.Combine("sub", "page.html"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "git-link"), Path.Combine(_root, ".git"));
        File.CreateSymbolicLink(Path.Combine(_root, "env-link"), Path.Combine(_root, ".env"));
        File.CreateSymbolicLink(Path.Combine(_root, "chain1"), Path.Combine(_root, "chain2"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "chain2"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "loop-a"), Path.Combine(_root, "loop-b"));
        File.CreateSymbolicLink(Path.Combine(_root, "loop-b"), Path.Combine(_root, "loop-a"));
        File.CreateSymbolicLink(Path.Combine(_root, "dangling"), Path.Combine(_root, "missing"));
        File.CreateSymbolicLink(Path.Combine(_root, "dir-with-bad-index", "index.html"), Path.Combine(_outside, "passwd"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("/link/passwd")]            // a directory link out of the root, file below it
    [InlineData("/rel-link/passwd")]        // the same with a relative target
    [InlineData("/chain1/passwd")]          // a link to a link to outside
    [InlineData("/file-link")]              // a file link out of the root
    [InlineData("/dir-with-bad-index/")]    // index.html is a link out of the root
    [InlineData("/.env")]
    [InlineData("/.git/config")]
    [InlineData("/sub/.hidden")]
    [InlineData("/%2eenv")]                 // an encoded dot is still a dotfile
    [InlineData("/git-link/config")]        // a link into a dot-directory
    [InlineData("/env-link")]               // a link to a dotfile
    [InlineData("/sub%2Fpage.html")]        // an encoded slash
    [InlineData("/sub%2fpage.html")]
    [InlineData("/sub%5Cpage.html")]        // an encoded backslash
    [InlineData("/sub\\page.html")]
    [InlineData("/index.html%00.png")]      // NUL
    [InlineData("/%0aindex.html")]          // a control character
    [InlineData("/%zz")]                    // malformed escapes
    [InlineData("/index.html%2")]
    [InlineData("/%c0%ae%c0%ae/outside/passwd")] // overlong UTF-8 for ".."
    [InlineData("/%2e%2e/outside/passwd")]
    [InlineData("/sub/../../outside/passwd")]
    [InlineData("/./index.html")]
    [InlineData("/loop-a")]                 // a link loop ends, as nothing
    [InlineData("/dangling")]
    [InlineData("/index.html/")]            // a file is not a directory
    [InlineData("/ındex.html")]             // non-ASCII must be percent-encoded
    public void Refused(string path) => Assert.Null(new StaticFileHandler(_root).Resolve(path));

    [Theory]
    [InlineData("/inside-link/page.html", "sub/page.html")]   // links that stay inside are followed
    [InlineData("/page-link.html", "sub/page.html")]
    [InlineData("//sub//page.html", "sub/page.html")]          // empty segments are skipped
    [InlineData("/%252e%252e", "%2e%2e")]                      // decoded once: a literal name, not ".."
    [InlineData("/", "index.html")]
    public void Served(string path, string expected) =>
        Assert.Equal(Path.Combine(_root, expected), new StaticFileHandler(_root).Resolve(path));

    [Fact]
    public void LongAndDeepPaths_Refused()
    {
        var h = new StaticFileHandler(_root);
        Assert.Null(h.Resolve("/" + new string('a', RequestPathDecoder.MaxPathLength + 1)));
        Assert.Null(h.Resolve(string.Concat(Enumerable.Repeat("/sub", RequestPathDecoder.MaxSegments + 1))));
    }

    [Fact]
    public void RootItselfBehindALink_StillServes()
    {
        string alias = Path.Combine(_dir, "alias");
        Directory.CreateSymbolicLink(alias, _root);
        var h = new StaticFileHandler(alias);
        Assert.Equal(Path.Combine(_root, "sub", "page.html"), h.Resolve("/sub/page.html"));
        Assert.Null(h.Resolve("/link/passwd"));
    }

    [Fact]
    public async Task OverHttp3_EscapesAre404()
    {
        var handler = new StaticFileHandler(_root);
        var p = await EndToEndTests.StartAsync(handler.HandleAsync);
        var timeout = TimeSpan.FromSeconds(30);
        foreach (string path in new[] { "/link/passwd", "/.env", "/sub%2Fpage.html" })
        {
            using var r = await p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = path }).WaitAsync(timeout);
            Assert.Equal(404, r.Status);
            Assert.Equal("not found\n", await new StreamReader(r.Content).ReadToEndAsync());
        }
        using (var ok = await p.Client.SendRequestAsync(new Http3Request { Authority = "a", Path = "/inside-link/page.html" }).WaitAsync(timeout))
        {
            Assert.Equal(200, ok.Status);
            Assert.Equal("page", await new StreamReader(ok.Content).ReadToEndAsync());
        }
        await p.Client.CloseAsync();
    }
}
