namespace Pliant.Fuzz.Tests;

/// <summary>Locates the committed fuzz inputs from the test's working directory.</summary>
internal static class FuzzFiles
{
    private static readonly Lazy<string> s_fuzzRoot = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "fuzz", "corpus"))) return Path.Combine(d.FullName, "fuzz");
        throw new DirectoryNotFoundException("fuzz/corpus not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The inputs in fuzz/<paramref name="kind"/>/<paramref name="target"/> (kind: corpus or crashes), sorted.</summary>
    public static IReadOnlyList<string> Of(string target, string kind)
    {
        string dir = Path.Combine(s_fuzzRoot.Value, kind, target);
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir).Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>One committed crash input.</summary>
    public static byte[] Crash(string target, string name) => File.ReadAllBytes(Path.Combine(s_fuzzRoot.Value, "crashes", target, name));
}
