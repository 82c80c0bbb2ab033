namespace Pliant.Http3;

/// <summary>A response; <see cref="Content"/> streams DATA frames as they arrive.</summary>
public sealed class Http3Response : IDisposable
{
    private readonly Session.Http3ConnectionBase? _owner;

    internal Http3Response(int status, IReadOnlyList<Http3Field> headers, Stream content, Stream quicStream, Task requestBodySent, Session.Http3ConnectionBase? owner = null)
    {
        _owner = owner;
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

    /// <summary>The request stream's id (null for a transport without ids).</summary>
    public ulong? StreamId => QuicStream.GetStreamId();

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
        {
            QuicStream.AbortStream(Http3ErrorCode.RequestCancelled, read: true, write: false);
            _owner?.CancelStreamDecoding(QuicStream); // RFC 9204 §2.2.2.2: trailers may stay unread
        }
        QuicStream.Dispose();
    }
}
