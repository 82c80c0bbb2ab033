namespace Pliant.Quic.Tests;

/// <summary>Locates the shared specification folder (test vectors) beside the repository.</summary>
internal static class SharedPaths
{
    private static readonly Lazy<string> s_shared = new(Find);

    /// <summary>The <c>shared</c> folder: <c>$PLIANT_SHARED</c>, or <c>../shared</c> beside the repository root (the folder holding Pliant.slnx).</summary>
    public static string Shared => s_shared.Value;

    /// <summary>The <c>shared/specs</c> folder.</summary>
    public static string Specs => Path.Combine(Shared, "specs");

    /// <summary>A file below <c>shared/specs</c>.</summary>
    public static string Spec(params string[] parts) => Path.Combine([Specs, .. parts]);

    private static string Find()
    {
        var env = Environment.GetEnvironmentVariable("PLIANT_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(Path.Combine(env, "specs")))
            return Path.GetFullPath(env);

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pliant.slnx")))
            {
                var beside = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                if (Directory.Exists(Path.Combine(beside, "specs"))) return beside;
            }
            // Fallback: a folder named shared/specs anywhere up the tree.
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "specs"))) return candidate;
        }
        throw new DirectoryNotFoundException(
            "shared/specs not found: set PLIANT_SHARED or place 'shared' beside the repository root");
    }
}
