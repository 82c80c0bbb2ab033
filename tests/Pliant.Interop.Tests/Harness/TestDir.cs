using System.Runtime.CompilerServices;

namespace Pliant.Interop.Tests.Harness;

/// <summary>
/// A scratch directory per test under $TMPDIR/pliant-interop/CLASS.TEST-xxxx, kept after the run
/// (logs are what you look at when a case fails); old ones are pruned when a new run starts.
/// </summary>
public static class TestDir
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "pliant-interop");
    private static int _pruned;

    public static string Create(string className, [CallerMemberName] string test = "")
    {
        if (Interlocked.Exchange(ref _pruned, 1) == 0) Prune();
        var dir = Path.Combine(Root, $"{className}.{test}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void Prune()
    {
        if (!Directory.Exists(Root)) return;
        foreach (var d in new DirectoryInfo(Root).GetDirectories())
        {
            if (d.LastWriteTimeUtc < DateTime.UtcNow.AddHours(-6))
            {
                try { d.Delete(true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }
}
