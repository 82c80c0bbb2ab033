using System.Globalization;
using Pliant.Http3.Session;

namespace Pliant.Http3;

/// <summary>
/// The response a handler writes: set <see cref="StatusCode"/> and headers, then write the body. The HEADERS
/// frame goes out on the first write (or when the handler returns); the body becomes DATA frames; trailers
/// (<see cref="AppendTrailer"/>) follow the body in a last HEADERS frame (RFC 9114 §4.1).
/// </summary>
public sealed class Http3ServerResponse
{
    private readonly Stream _stream;
    private readonly bool _suppressBody;
    private readonly Func<Stream, IReadOnlyList<Http3Field>, byte[]> _headersFrame;
    private readonly Http3PriorityScheduler.Turn? _turn;
    private readonly List<Http3Field> _headers = [];
    private List<Http3Field>? _trailers;

    internal Http3ServerResponse(Stream stream, bool suppressBody, Func<Stream, IReadOnlyList<Http3Field>, byte[]> headersFrame, Http3PriorityScheduler.Turn? turn = null)
    {
        _stream = stream;
        _suppressBody = suppressBody;
        _headersFrame = headersFrame;
        _turn = turn;
        Body = new DataFrameWriteStream(WriteAsync, ct => _stream.FlushAsync(ct));
    }

    /// <summary>Status code (default 200).</summary>
    public int StatusCode { get; set; } = 200;

    /// <summary>True once the HEADERS frame is sent; headers can no longer change.</summary>
    public bool HeadersSent { get; private set; }

    /// <summary>Header fields to send.</summary>
    public IReadOnlyList<Http3Field> Headers => _headers;

    /// <summary>Trailer fields to send after the body.</summary>
    public IReadOnlyList<Http3Field> Trailers => _trailers ?? (IReadOnlyList<Http3Field>)[];

    /// <summary>A write-only stream producing DATA frames (discarded for HEAD).</summary>
    public Stream Body { get; }

    /// <summary>Sets (replaces) a header; the name is lowercased.</summary>
    public void SetHeader(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (HeadersSent) throw new InvalidOperationException("headers already sent");
        name = name.ToLowerInvariant();
        _headers.RemoveAll(h => h.Name == name);
        _headers.Add(new Http3Field(name, value));
    }

    /// <summary>Adds a trailer field (sent after the body; RFC 9110 §6.5). The name is lowercased; pseudo-headers are refused.</summary>
    public void AppendTrailer(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        if (name.StartsWith(':')) throw new ArgumentException("trailers carry no pseudo-header fields (RFC 9114 §4.3)", nameof(name));
        if (Completed) throw new InvalidOperationException("the response is complete");
        (_trailers ??= []).Add(new Http3Field(name.ToLowerInvariant(), value));
    }

    /// <summary>Sets content-length.</summary>
    public long? ContentLength
    {
        set
        {
            if (value is long v) SetHeader("content-length", v.ToString(CultureInfo.InvariantCulture));
            else { if (HeadersSent) throw new InvalidOperationException("headers already sent"); _headers.RemoveAll(h => h.Name == "content-length"); }
        }
    }

    private bool Completed { get; set; }

    /// <summary>Sends the HEADERS frame now.</summary>
    public async ValueTask StartAsync(CancellationToken ct = default)
    {
        if (HeadersSent) return;
        HeadersSent = true;
        var fields = new List<Http3Field>(_headers.Count + 1) { new(":status", StatusCode.ToString(CultureInfo.InvariantCulture)) };
        fields.AddRange(_headers);
        await _stream.WriteAsync(_headersFrame(_stream, fields), ct).ConfigureAwait(false);
    }

    /// <summary>Writes body bytes as one DATA frame.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        await StartAsync(ct).ConfigureAwait(false);
        if (_suppressBody) return;
        await Http3DataWriter.WriteDataAsync(_stream, data, _turn, ct).ConfigureAwait(false);
    }

    /// <summary>Copies a stream into DATA frames.</summary>
    public async Task CopyFromAsync(Stream source, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        await StartAsync(ct).ConfigureAwait(false);
        if (_suppressBody) return;
        await Http3DataWriter.CopyBodyAsync(_stream, source, _turn, ct).ConfigureAwait(false);
    }

    internal async Task CompleteAsync(CancellationToken ct)
    {
        await StartAsync(ct).ConfigureAwait(false);
        Completed = true;
        // RFC 9114 §4.1: trailers, if any, in a HEADERS frame after the content.
        if (_trailers is { Count: > 0 } t) await _stream.WriteAsync(_headersFrame(_stream, t), ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        // RFC 9114 §4.1: after the final response the server closes the stream for sending.
        _stream.CompleteWrites();
    }
}
