using Pliant.Http3.Session;

namespace Pliant.Http3;

/// <summary>A request received by <see cref="Http3ServerConnection"/>, validated per RFC 9114 §4.3.1.</summary>
public sealed class Http3ServerRequest
{
    internal Http3ServerRequest(ulong streamId, string method, string? scheme, string? authority, string? path, IReadOnlyList<Http3Field> headers, Stream body, long? contentLength,
        bool isEarlyData = false, Http3PriorityScheduler.Turn? priority = null)
    {
        IsEarlyData = isEarlyData;
        _priority = priority;
        StreamId = streamId;
        Method = method;
        Scheme = scheme;
        Authority = authority;
        Path = path;
        Headers = headers;
        Body = body;
        ContentLength = contentLength;
    }

    /// <summary>QUIC stream id of the request stream.</summary>
    public ulong StreamId { get; }

    /// <summary>:method.</summary>
    public string Method { get; }

    /// <summary>:scheme (null for CONNECT).</summary>
    public string? Scheme { get; }

    /// <summary>:authority, if sent.</summary>
    public string? Authority { get; }

    /// <summary>:path (null for CONNECT).</summary>
    public string? Path { get; }

    /// <summary>Regular header fields.</summary>
    public IReadOnlyList<Http3Field> Headers { get; }

    /// <summary>Request content, streamed from DATA frames.</summary>
    public Stream Body { get; }

    /// <summary>content-length, if sent.</summary>
    public long? ContentLength { get; }

    /// <summary>
    /// True when the request (its header section, at least) arrived as TLS 0-RTT early data, or carries
    /// <c>Early-Data: 1</c> from an intermediary that received it so (RFC 8470 §5.1): it may be a replay.
    /// See <see cref="Http3ServerOptions.EarlyDataPolicy"/>.
    /// </summary>
    public bool IsEarlyData { get; }

    private readonly Http3PriorityScheduler.Turn? _priority;

    /// <summary>
    /// The response's priority (RFC 9218): from the <c>priority</c> header, then the latest PRIORITY_UPDATE
    /// from the client; the defaults (u=3, not incremental) when neither was sent.
    /// </summary>
    public Http3Priority Priority => _priority?.Priority ?? Http3Priority.Default;

    /// <summary>Trailer fields of the request, once <see cref="Body"/> was read to the end (null if none came).</summary>
    public IReadOnlyList<Http3Field>? Trailers => (Body as Http3BodyReadStream)?.Trailers;

    /// <summary>First value of a header, or null.</summary>
    public string? GetHeader(string name)
    {
        foreach (var h in Headers) if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) return h.Value;
        return null;
    }
}
