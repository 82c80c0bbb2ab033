using System.Globalization;

namespace Pliant.Http3.Server;

/// <summary>
/// Serves files under a root directory for <c>pliant serve</c>: GET and HEAD only (405 otherwise), 404 for
/// anything missing or outside the root, index.html for directories, content-length and content-type.
/// </summary>
public sealed class StaticFileHandler
{
    private readonly string _root;

    /// <param name="root">Directory to serve.</param>
    public StaticFileHandler(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
    }

    /// <summary>The handler; pass <c>handler.HandleAsync</c> to <see cref="Http3ServerConnection"/>.</summary>
    public async Task HandleAsync(Http3ServerRequest request, Http3ServerResponse response, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        if (request.Method is not ("GET" or "HEAD"))
        {
            response.StatusCode = 405;
            response.SetHeader("allow", "GET, HEAD");
            response.ContentLength = 0;
            return;
        }
        string? file = Resolve(request.Path);
        if (file is null)
        {
            await WriteTextAsync(response, 404, "not found\n", ct).ConfigureAwait(false);
            return;
        }
        FileStream fs;
        try
        {
            fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await WriteTextAsync(response, 404, "not found\n", ct).ConfigureAwait(false);
            return;
        }
        await using (fs.ConfigureAwait(false))
        {
            response.StatusCode = 200;
            response.ContentLength = fs.Length;
            response.SetHeader("content-type", ContentTypes.For(file));
            response.SetHeader("last-modified", File.GetLastWriteTimeUtc(file).ToString("R", CultureInfo.InvariantCulture));
            await response.CopyFromAsync(fs, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Maps a request :path to a file under the root, or null (missing, outside the root, invalid).</summary>
    public string? Resolve(string? requestPath)
    {
        if (string.IsNullOrEmpty(requestPath) || requestPath[0] != '/') return null;
        int q = requestPath.AsSpan().IndexOfAny('?', '#');
        string raw = q >= 0 ? requestPath[..q] : requestPath;
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(raw);
        }
        catch (UriFormatException)
        {
            return null;
        }
        if (decoded.Contains('\0', StringComparison.Ordinal) || decoded.Contains('\\', StringComparison.Ordinal)) return null;
        // Reject any ".." segment outright, then check the normalised path stays under the root.
        foreach (var seg in decoded.Split('/'))
            if (seg == "..") return null;
        string full;
        try
        {
            full = Path.GetFullPath(Path.Join(_root, decoded.TrimStart('/')));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
        if (!IsUnderRoot(full)) return null;
        if (Directory.Exists(full))
        {
            full = Path.Join(full, "index.html");
        }
        if (!File.Exists(full)) return null;
        // Symlinks may point outside the root.
        var info = new FileInfo(full);
        if (info.LinkTarget != null)
        {
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || !IsUnderRoot(Path.GetFullPath(target.FullName))) return null;
        }
        return full;
    }

    private bool IsUnderRoot(string full) =>
        full.Equals(_root, StringComparison.Ordinal) ||
        full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static async Task WriteTextAsync(Http3ServerResponse response, int status, string text, CancellationToken ct)
    {
        byte[] body = System.Text.Encoding.UTF8.GetBytes(text);
        response.StatusCode = status;
        response.ContentLength = body.Length;
        response.SetHeader("content-type", "text/plain; charset=utf-8");
        await response.WriteAsync(body, ct).ConfigureAwait(false);
    }
}
