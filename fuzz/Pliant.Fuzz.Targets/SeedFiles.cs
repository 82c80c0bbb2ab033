namespace Pliant.Fuzz;

/// <summary>Real files in the checkout used as seeds (built plugins, the converted WebAssembly spec suite).</summary>
public static class SeedFiles
{
    /// <summary>The checkout root (the folder holding Pliant.slnx above the current directory), or null.</summary>
    public static string? RepositoryRoot()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Pliant.slnx"))) return d.FullName;
        return null;
    }

    /// <summary>Files matching <paramref name="pattern"/> under a folder of the checkout, sorted; none when it is absent.</summary>
    public static IEnumerable<string> Under(string relative, string pattern)
    {
        string? root = RepositoryRoot();
        if (root is null) return [];
        string dir = Path.Combine(root, relative);
        return Directory.Exists(dir) ? Directory.GetFiles(dir, pattern).Order(StringComparer.Ordinal) : [];
    }
}
