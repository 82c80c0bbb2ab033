namespace Pliant.Http3;

/// <summary>A request for <see cref="Http3ClientConnection.SendRequestAsync"/>.</summary>
public sealed class Http3Request
{
    /// <summary>:method, e.g. "GET".</summary>
    public string Method { get; set; } = "GET";

    /// <summary>:scheme.</summary>
    public string Scheme { get; set; } = "https";

    /// <summary>:authority (host[:port]).</summary>
    public string Authority { get; set; } = "";

    /// <summary>:path (path and query), "/" at least.</summary>
    public string Path { get; set; } = "/";

    /// <summary>Regular header fields; names are lowercased when sent.</summary>
    public List<Http3Field> Headers { get; } = [];

    /// <summary>Optional request body, sent as DATA frames while the response is read.</summary>
    public Stream? Content { get; set; }

    /// <summary>
    /// Alternative to <see cref="Content"/> for bodies the application produces: called with a write-only
    /// stream whose writes become DATA frames (flushes reach QUIC at once), while the response is read.
    /// Such a request is not sent again after a 425 (it cannot be replayed).
    /// </summary>
    public Func<Stream, CancellationToken, Task>? ContentWriter { get; set; }

    /// <summary>Trailer fields sent after the body (RFC 9114 §4.1); read once the body is written, so a <see cref="ContentWriter"/> may fill them.</summary>
    public List<Http3Field> Trailers { get; } = [];

    /// <summary>The response priority asked for (RFC 9218), sent as the <c>priority</c> header unless it is the default.</summary>
    public Http3Priority Priority { get; set; } = Http3Priority.Default;
}

