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

/// <summary>A response; <see cref="Content"/> streams DATA frames as they arrive.</summary>
public sealed class Http3Response : IDisposable
{
    internal Http3Response(int status, IReadOnlyList<Http3Field> headers, Stream content, Stream quicStream, Task requestBodySent)
    {
        Status = status;
        Headers = headers;
        Content = content;
        QuicStream = quicStream;
        RequestBodySent = requestBodySent;
    }

    /// <summary>:status of the final response.</summary>
    public int Status { get; }

    /// <summary>Regular header fields of the final response.</summary>
    public IReadOnlyList<Http3Field> Headers { get; }

    /// <summary>Response content (read to the end to receive trailers).</summary>
    public Stream Content { get; }

    /// <summary>Trailer fields, available once <see cref="Content"/> has been read to the end.</summary>
    public IReadOnlyList<Http3Field>? Trailers => (Content as Session.Http3BodyReadStream)?.Trailers;

    /// <summary>Completes when the request body has been sent (or failed).</summary>
    public Task RequestBodySent { get; }

    internal Stream QuicStream { get; }

    /// <summary>First value of a header, or null.</summary>
    public string? GetHeader(string name)
    {
        foreach (var h in Headers) if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) return h.Value;
        return null;
    }

    /// <summary>
    /// Releases the stream; if content is still unread, reading is aborted with H3_REQUEST_CANCELLED
    /// (RFC 9114 §4.1.1).
    /// </summary>
    public void Dispose()
    {
        if (Content is Session.Http3BodyReadStream { IsFinished: false })
            QuicStream.AbortStream(Http3ErrorCode.RequestCancelled, read: true, write: false);
        QuicStream.Dispose();
    }
}
