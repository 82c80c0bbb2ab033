namespace Pliant.Http3.Client;

/// <summary>
/// The body of an <see cref="HttpResponseMessage"/> received over HTTP/3: reads DATA as it arrives; at the end
/// the trailers go to <see cref="HttpResponseMessage.TrailingHeaders"/>. Cancelling a read, or disposing before
/// the end, resets the stream with H3_REQUEST_CANCELLED (RFC 9114 §4.1.1) and leaves other requests alone.
/// </summary>
internal sealed class Http3ResponseContentStream(Http3Response response, HttpResponseMessage message) : Stream
{
    private int _disposed;
    private bool _trailersCopied;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() { }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        int n;
        try
        {
            n = await response.Content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Dispose();
            throw;
        }
        catch (Exception ex) when (ex is Http3Exception or IOException or Pliant.Net.QuicException)
        {
            Dispose();
            throw new IOException("the HTTP/3 response body failed: " + ex.Message, ex);
        }
        if (n == 0 && !buffer.IsEmpty && !_trailersCopied && response.Trailers is { } trailers)
        {
            _trailersCopied = true;
            foreach (var t in trailers) message.TrailingHeaders.TryAddWithoutValidation(t.Name, t.Value);
        }
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0) response.Dispose();
        base.Dispose(disposing);
    }
}
