namespace Pliant.Http3.Server;

/// <summary>
/// The canonical path of a file system entry with every symbolic link resolved, component by component
/// (what POSIX realpath(3) computes), written in managed code: each component is checked for being a
/// link, a link's target (absolute or relative to its directory, possibly with ".." in it) replaces it,
/// and resolution goes on with the rest. More than <see cref="MaxLinks"/> links is a loop (ELOOP).
/// </summary>
internal static class RealPath
{
    /// <summary>Links followed in one resolution before it is called a loop (Linux's limit is 40).</summary>
    public const int MaxLinks = 40;

    /// <summary>The resolved path, or null when a component is missing, a loop is found, or I/O fails.</summary>
    public static string? Resolve(string path)
    {
        if (!Path.IsPathFullyQualified(path)) return null;
        string root = Path.GetPathRoot(path)!;
        var pending = new Stack<string>();
        PushComponents(pending, path[root.Length..]);
        return Walk(root, pending);
    }

    /// <summary>
    /// Resolves the entry <paramref name="name"/> (one component, no separator) of a directory whose path
    /// is already resolved; null as for <see cref="Resolve"/>.
    /// </summary>
    public static string? ResolveEntry(string resolvedDirectory, string name)
    {
        var pending = new Stack<string>();
        pending.Push(name);
        return Walk(resolvedDirectory, pending);
    }

    private static string? Walk(string current, Stack<string> pending)
    {
        string root = Path.GetPathRoot(current)!;
        int links = 0;
        try
        {
            while (pending.Count > 0)
            {
                string part = pending.Pop();
                if (part is "" or ".") continue;
                if (part == "..")
                {
                    current = Path.GetDirectoryName(current) ?? root;
                    continue;
                }
                string next = Path.Join(current, part);
                var info = new FileInfo(next);
                if (!info.Exists && !Directory.Exists(next)) return null;
                string? target = info.LinkTarget;
                if (target is null)
                {
                    current = next;
                    continue;
                }
                if (++links > MaxLinks) return null;
                if (Path.IsPathFullyQualified(target))
                {
                    current = Path.GetPathRoot(target)!;
                    target = target[current.Length..];
                }
                // The target's components come next, then what was left of the path.
                PushComponents(pending, target);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
        return current;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it (both resolved).</summary>
    public static bool IsUnder(string path, string root) =>
        path.Equals(root, StringComparison.Ordinal) ||
        path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static void PushComponents(Stack<string> pending, string relative)
    {
        var parts = relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        for (int i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }
}
