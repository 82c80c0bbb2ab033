namespace Pliant.Interop.Tests.Harness;

/// <summary>Places in the repository the tests run from (the folder holding Pliant.slnx, above the test binaries).</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Pliant.slnx"))) return d.FullName;
        throw new InvalidOperationException("repository root (Pliant.slnx) not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root.</summary>
    public static string Root => RootPath.Value;

    /// <summary>plugins/out, where plugins/build.sh puts the compiled plugins.</summary>
    public static string PluginsOut => Path.Combine(Root, "plugins", "out");
}
