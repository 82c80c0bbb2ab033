using System.Runtime.CompilerServices;

namespace Pliant.Interop.Tests.Harness;

/// <summary>The common setup of one interop case: scratch dir, certificate, document root, port.</summary>
public sealed class InteropCase
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private InteropCase(string dir)
    {
        Dir = dir;
        Cert = TestCertificates.Create(dir);
        Htdocs = Path.Combine(dir, "htdocs");
        Downloads = Path.Combine(dir, "dl");
        Directory.CreateDirectory(Htdocs);
        Directory.CreateDirectory(Downloads);
        Port = FreePort.Udp();
    }

    public string Dir { get; }

    public TestCertificate Cert { get; }

    public string Htdocs { get; }

    public string Downloads { get; }

    public int Port { get; }

    public string Url(string file) => $"https://127.0.0.1:{Port}/{file}";

    public static InteropCase Create(string className, [CallerMemberName] string test = "") => new(TestDir.Create(className, test));

    /// <summary>Creates <paramref name="count"/> files f01.bin.. in the document root, sizes varying around <paramref name="size"/>; returns their names.</summary>
    public IReadOnlyList<string> AddFiles(int count, long size, int seed)
    {
        var names = new List<string>();
        for (var i = 1; i <= count; i++)
        {
            var name = count == 1 ? $"file-{size}.bin" : $"f{i:D2}.bin";
            TestFiles.Create(Htdocs, name, size + (count == 1 ? 0 : i * 37), seed + i);
            names.Add(name);
        }
        return names;
    }

    public void AssertDownloaded(IEnumerable<string> names, string? downloads = null, params PeerProcess[] peers)
    {
        var context = string.Join("\n", peers.Select(p => p.Tail()));
        foreach (var n in names) TestFiles.AssertSame(Path.Combine(Htdocs, n), Path.Combine(downloads ?? Downloads, n), context);
    }
}
