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
}

