using System.Buffers;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Pliant.Http3.Server;

/// <summary>
/// Serves files under a root directory for <c>pliant serve</c>: GET and HEAD only (405 otherwise), 404 for
/// anything missing, hidden or outside the root, index.html for directories, content-length and content-type.
/// <para>
/// What is refused, as 404 (issue 11 item 13): paths <see cref="RequestPathDecoder"/> refuses (malformed or
/// non-UTF-8 escapes, encoded '/' or '\', NUL and control characters, '\', any segment starting with '.',
/// which covers "..", dotfiles and dot-directories); and any path whose real location — every component's
/// symbolic links resolved (<see cref="RealPath"/>) — is not under the root's real location, or reaches a
/// dotfile or dot-directory through a link. Links that stay inside the root are followed. On Linux the file
/// actually opened is checked again through /proc/self/fd, so a link swapped between the check and the
/// open cannot escape either.
/// </para>
/// </summary>
public sealed class StaticFileHandler
{
    private readonly string _root;

    /// <param name="root">Directory to serve.</param>
    public StaticFileHandler(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _root = RealPath.Resolve(full) ?? full;
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
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await WriteTextAsync(response, 404, "not found\n", ct).ConfigureAwait(false);
            return;
        }
        using (handle)
        {
            if (!OpenedInsideRoot(handle))
            {
                await WriteTextAsync(response, 404, "not found\n", ct).ConfigureAwait(false);
                return;
            }
            long length = RandomAccess.GetLength(handle);
            response.StatusCode = 200;
            response.ContentLength = length;
            response.SetHeader("content-type", ContentTypes.For(file));
            response.SetHeader("last-modified", File.GetLastWriteTimeUtc(handle).ToString("R", CultureInfo.InvariantCulture));
            if (length <= SmallFileLength)
            {
                // One pread where the request runs: a page-cache hit costs microseconds, while an asynchronous
                // read would go through the thread pool and back (issue 17: short requests).
                byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, length));
                try
                {
                    int n = 0;
                    while (n < length)
                    {
                        int read = RandomAccess.Read(handle, buffer.AsSpan(n, (int)length - n), n);
                        if (read == 0) break; // truncated meanwhile: the response comes up short and fails
                        n += read;
                    }
                    await response.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                return;
            }
            var fs = new FileStream(handle, FileAccess.Read, bufferSize: 0);
            await using (fs.ConfigureAwait(false))
                await response.CopyFromAsync(fs, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Files up to this size (bytes) are read in one synchronous pread; larger ones stream asynchronously.</summary>
    public const int SmallFileLength = 64 * 1024;

    /// <summary>
    /// Maps a request :path to the real path of a regular file under the root, or null (refused, missing,
    /// hidden, outside the root).
    /// </summary>
    public string? Resolve(string? requestPath)
    {
        var segments = RequestPathDecoder.Decode(requestPath, out bool directory);
        if (segments is null) return null;
        string current = _root;
        foreach (string segment in segments)
        {
            string? next = Step(current, segment);
            if (next is null) return null;
            current = next;
        }
        if (directory && !Directory.Exists(current)) return null;
        if (Directory.Exists(current))
        {
            string? index = Step(current, "index.html");
            if (index is null) return null;
            current = index;
        }
        return File.Exists(current) ? current : null;
    }

    /// <summary>One component further, links resolved; null unless the result is allowed.</summary>
    private string? Step(string resolvedDirectory, string name)
    {
        string? real = RealPath.ResolveEntry(resolvedDirectory, name);
        return real is not null && IsServable(real) ? real : null;
    }

    /// <summary>Under the real root, and no component below the root is hidden (starts with '.').</summary>
    private bool IsServable(string realPath)
    {
        if (!RealPath.IsUnder(realPath, _root)) return false;
        foreach (var range in realPath.AsSpan(_root.Length).Split(Path.DirectorySeparatorChar))
        {
            var part = realPath.AsSpan(_root.Length)[range];
            if (!part.IsEmpty && part[0] == '.') return false;
        }
        return true;
    }

    private static readonly bool ProcFdAvailable = OperatingSystem.IsLinux() && Directory.Exists("/proc/self/fd");

    /// <summary>Linux: the descriptor's own path (/proc/self/fd/N) must still be servable; true where /proc is missing.</summary>
    private bool OpenedInsideRoot(SafeFileHandle handle)
    {
        if (!ProcFdAvailable) return true;
        string? opened;
        try
        {
            opened = new FileInfo("/proc/self/fd/" + handle.DangerousGetHandle().ToInt64().ToString(CultureInfo.InvariantCulture)).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return opened is not null && IsServable(opened);
    }

    private static async Task WriteTextAsync(Http3ServerResponse response, int status, string text, CancellationToken ct)
    {
        byte[] body = System.Text.Encoding.UTF8.GetBytes(text);
        response.StatusCode = status;
        response.ContentLength = body.Length;
        response.SetHeader("content-type", "text/plain; charset=utf-8");
        await response.WriteAsync(body, ct).ConfigureAwait(false);
    }
}
