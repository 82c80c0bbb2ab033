using Pliant.Http3;

namespace Pliant.Fuzz.Http3;

/// <summary>
/// An <see cref="IH3Connection"/> whose peer streams are fixed up front (from the fuzz input) and whose
/// reads complete synchronously, so one run is deterministic apart from the request tasks the server
/// starts. Records every abort code: H3_INTERNAL_ERROR means the server caught an exception it did not
/// expect (its catch-all), which the harness reports as a crash.
/// </summary>
internal sealed class ScriptedConnection : IH3Connection
{
    private readonly Queue<ScriptedStream> _incoming = new();
    private readonly CancellationTokenSource _gone = new();
    private ulong _nextLocal = 3;
    private int _internalErrors;

    /// <summary>Queues a peer stream for <see cref="AcceptStreamAsync"/>.</summary>
    public void AddIncoming(ScriptedStream stream) => _incoming.Enqueue(stream);

    /// <summary>Times any stream or the connection was closed with H3_INTERNAL_ERROR.</summary>
    public int InternalErrors => Volatile.Read(ref _internalErrors);

    /// <summary>Cancels reads that wait for more data (streams left open by the input).</summary>
    public void Shutdown() => _gone.Cancel();

    internal CancellationToken Gone => _gone.Token;

    internal void NoteAbort(ulong code)
    {
        if (code == (ulong)Http3ErrorCode.InternalError) Interlocked.Increment(ref _internalErrors);
    }

    public ValueTask<Stream> OpenStreamAsync(bool bidirectional, CancellationToken ct)
    {
        ulong id = _nextLocal;
        _nextLocal += 4;
        return ValueTask.FromResult<Stream>(new ScriptedStream(this, id, [], fin: true, reset: false, readSize: 0));
    }

    public async ValueTask<(Stream stream, bool bidirectional, ulong streamId)?> AcceptStreamAsync(CancellationToken ct)
    {
        // One request at a time: the server runs each on the thread pool, and requests racing each other
        // (and the control stream) made the coverage of an input differ from run to run. The previous
        // request is finished when the server ended or reset its response — or it waits for a later stream
        // (a field section blocked on QPACK inserts, RFC 9204 §2.1.2), which is then let in after a moment.
        if (_lastRequest is { } previous)
            await Task.WhenAny(previous.Finished, Task.Delay(TimeSpan.FromMilliseconds(200), ct)).ConfigureAwait(false);
        if (!_incoming.TryDequeue(out var s)) return null;
        if (s.StreamId % 4 == 0) _lastRequest = s;
        return (s, s.StreamId % 4 == 0, s.StreamId);
    }

    private ScriptedStream? _lastRequest;

    public void Abort(ulong errorCode)
    {
        NoteAbort(errorCode);
        _gone.Cancel();
    }
}

/// <summary>
/// A peer stream: reads return the scripted bytes <c>readSize</c> at a time, then end (FIN), fail as a
/// reset (IOException) or wait until the connection goes; writes are discarded.
/// </summary>
internal sealed class ScriptedStream(ScriptedConnection owner, ulong id, byte[] data, bool fin, bool reset, int readSize) : Stream, IH3StreamControl
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;

    /// <summary>Completes when the server ended (FIN) or reset its side of the stream.</summary>
    public Task Finished => _finished.Task;

    public ulong StreamId => id;
    public long BytesWritten { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position < data.Length)
        {
            int n = Math.Min(buffer.Length, data.Length - _position);
            if (readSize > 0) n = Math.Min(n, readSize);
            data.AsSpan(_position, n).CopyTo(buffer.Span);
            _position += n;
            return ValueTask.FromResult(n);
        }
        if (reset) return ValueTask.FromException<int>(new IOException("stream reset by the peer"));
        if (fin) return ValueTask.FromResult(0);
        return new ValueTask<int>(WaitForeverAsync(cancellationToken));
    }

    private async Task<int> WaitForeverAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, owner.Gone);
        await Task.Delay(Timeout.Infinite, linked.Token).ConfigureAwait(false);
        return 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BytesWritten += buffer.Length;
        return ValueTask.CompletedTask;
    }

    public override void Write(byte[] buffer, int offset, int count) => BytesWritten += count;

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public void CompleteWrites() => _finished.TrySetResult();

    public void Abort(ulong code, bool read, bool write)
    {
        owner.NoteAbort(code);
        if (write) _finished.TrySetResult();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
