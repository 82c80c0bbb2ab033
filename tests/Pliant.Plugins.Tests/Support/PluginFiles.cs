namespace Pliant.Plugins.Tests.Support;

/// <summary>Finds plugins built by plugins/build.sh (repo root = the folder holding Pliant.slnx).</summary>
public static class PluginFiles
{
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pliant.slnx"))) return dir.FullName;
        throw new InvalidOperationException("repository root (Pliant.slnx) not found");
    }

    public static byte[] Bytes(string name)
    {
        string path = Path.Combine(RepoRoot, "plugins", "out", name + ".wasm");
        if (!File.Exists(path)) Assert.Fail($"{path} is missing: run plugins/build.sh");
        return File.ReadAllBytes(path);
    }

    public static PluginModule Load(string name, PluginLimits? limits = null) => PluginModule.Load(Bytes(name), limits);
}
