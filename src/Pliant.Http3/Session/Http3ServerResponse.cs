using System.Globalization;
using Pliant.Http3.Session;

namespace Pliant.Http3;

/// <summary>
/// The response a handler writes: set <see cref="StatusCode"/> and headers, then write the body. The HEADERS
/// frame goes out on the first write (or when the handler returns); the body becomes DATA frames.
/// </summary>
public sealed class Http3ServerResponse
{
    private readonly Stream _stream;
    private readonly bool _suppressBody;
    private readonly List<Http3Field> _headers = [];

    internal Http3ServerResponse(Stream stream, bool suppressBody)
    {
        _stream = stream;
        _suppressBody = suppressBody;
        Body = new ResponseBodyStream(this);
    }

    /// <summary>Status code (default 200).</summary>
    public int StatusCode { get; set; } = 200;

    /// <summary>True once the HEADERS frame is sent; headers can no longer change.</summary>
    public bool HeadersSent { get; private set; }

    /// <summary>Header fields to send.</summary>
    public IReadOnlyList<Http3Field> Headers => _headers;

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

    /// <summary>Sets content-length.</summary>
    public long? ContentLength
    {
        set
        {
            if (value is long v) SetHeader("content-length", v.ToString(CultureInfo.InvariantCulture));
            else { if (HeadersSent) throw new InvalidOperationException("headers already sent"); _headers.RemoveAll(h => h.Name == "content-length"); }
        }
    }

    /// <summary>Sends the HEADERS frame now.</summary>
    public async ValueTask StartAsync(CancellationToken ct = default)
    {
        if (HeadersSent) return;
        HeadersSent = true;
        var fields = new List<Http3Field>(_headers.Count + 1) { new(":status", StatusCode.ToString(CultureInfo.InvariantCulture)) };
        fields.AddRange(_headers);
        await Http3DataWriter.WriteHeadersAsync(_stream, fields, ct).ConfigureAwait(false);
    }

    /// <summary>Writes body bytes as one DATA frame.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        await StartAsync(ct).ConfigureAwait(false);
        if (_suppressBody) return;
        await Http3DataWriter.WriteDataAsync(_stream, data, ct).ConfigureAwait(false);
    }

    /// <summary>Copies a stream into DATA frames.</summary>
    public async Task CopyFromAsync(Stream source, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        await StartAsync(ct).ConfigureAwait(false);
        if (_suppressBody) return;
        await Http3DataWriter.CopyBodyAsync(_stream, source, ct).ConfigureAwait(false);
    }

    internal async Task CompleteAsync(CancellationToken ct)
    {
        await StartAsync(ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        // RFC 9114 §4.1: after the final response the server closes the stream for sending.
        _stream.CompleteWrites();
    }

    private sealed class ResponseBodyStream(Http3ServerResponse owner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => owner._stream.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => owner.WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => owner.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => owner.WriteAsync(buffer, cancellationToken);
    }
}
