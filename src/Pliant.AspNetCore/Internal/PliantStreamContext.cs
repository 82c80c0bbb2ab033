using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Pliant.Net;

namespace Pliant.AspNetCore.Internal;

/// <summary>
/// One QUIC stream as Kestrel sees it: a <see cref="ConnectionContext"/> whose <see cref="Transport"/> is
/// a pair of pipes, pumped to and from the <see cref="QuicStream"/> by two loops. The end of the peer's data
/// (FIN) completes the input pipe together with the last bytes (Kestrel's HTTP/3 layer must know, when it
/// parses a request's HEADERS, whether a body follows); completing the output pipe sends FIN; aborts carry
/// the error code of <see cref="IProtocolErrorCodeFeature"/> (RFC 9114 §8.1).
/// </summary>
internal sealed partial class PliantStreamContext : ConnectionContext
{
    private const int MinAllocBufferSize = 4096;

    private readonly PliantConnectionContext _connection;
    private readonly QuicStream _stream;
    private readonly ILogger _log;
    private readonly Pipe _input;   // QuicStream -> Kestrel
    private readonly Pipe _output;  // Kestrel -> QuicStream
    private readonly IDuplexPipe _application;
    private readonly CancellationTokenSource _closedCts = new();
    private readonly Lock _gate = new();
    private Task _processing = Task.CompletedTask;
    private List<(Action<object?> Callback, object? State)>? _onClosed;
    private Exception? _abortReason;      // Abort(): both directions
    private Exception? _readAbortReason;  // AbortRead()
    private Exception? _writeAbortReason; // AbortWrite(), or the peer's STOP_SENDING seen by the watcher
    private bool _sending;
    private bool _closed;
    private int _disposed;
    private long? _error;

    public PliantStreamContext(PliantConnectionContext connection, QuicStream stream, StreamSettings settings, ILogger log)
    {
        _connection = connection;
        _stream = stream;
        _log = log;
        StreamId = stream.Id;
        CanRead = stream.CanRead;
        CanWrite = stream.CanWrite;
        LocalEndPoint = connection.LocalEndPoint;
        RemoteEndPoint = connection.RemoteEndPoint;
        ConnectionClosed = _closedCts.Token;
        ConnectionId = connection.ConnectionId + ":" + StreamId.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var pool = MemoryPool<byte>.Shared;
        long maxRead = settings.MaxReadBufferSize;
        long maxWrite = settings.MaxWriteBufferSize;
        // Kestrel's HTTP/3 layer reads the input on the thread pool; our receive loop resumes inline. The output
        // is read inline on Kestrel's flushing thread, so a write reaches QUIC without a thread hop.
        _input = new Pipe(new PipeOptions(pool, PipeScheduler.ThreadPool, PipeScheduler.Inline, maxRead, maxRead / 2, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.ThreadPool, maxWrite, maxWrite / 2, useSynchronizationContext: false));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        _application = new DuplexPipe(_output.Reader, _input.Writer);
        Features = CreateFeatures(connection.Features);
        if (!CanWrite) _output.Writer.Complete();
        if (!CanRead) _input.Writer.Complete();
    }

    public override IDuplexPipe Transport { get; set; }

    public override IFeatureCollection Features { get; }

    public override string ConnectionId { get; set; }

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>The QUIC stream.</summary>
    public QuicStream Stream => _stream;

    /// <summary>Starts pumping both directions.</summary>
    public void Start() => _processing = RunAsync();

    private async Task RunAsync()
    {
        try
        {
            Task receive = CanRead ? ReceiveLoopAsync() : Task.CompletedTask;
            Task send = CanWrite ? SendLoopAsync() : Task.CompletedTask;
            await receive.ConfigureAwait(false);
            await send.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the pump must end and report, whatever happened
        catch (Exception ex)
        {
            Log.UnexpectedStreamError(_log, ConnectionId, ex);
        }
#pragma warning restore CA1031
        // Kestrel's stream-closed callbacks (Http3Stream.AbortCore) take its stream's locks. The pumps can end on
        // Kestrel's own thread — completing its output resumes our send loop inline, under its output lock — while
        // the connection's accept loop aborts the same stream holding the stream lock and waiting for the output
        // lock: a lock-order inversion (seen once in CI as a hang). So the callbacks run on the thread pool, as
        // Kestrel's own transports run their closed notifications; awaited, so DisposeAsync still finds them done.
        await Task.Run(FireClosed).ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync()
    {
        var input = _application.Output;
        Exception? error = null;
        bool completed = false;
        try
        {
            while (true)
            {
                Memory<byte> memory = input.GetMemory(MinAllocBufferSize);
                int n = await _stream.ReadAsync(memory).ConfigureAwait(false);
                if (n == 0) break;
                input.Advance(n);
                if (_stream.ReadsClosed.IsCompletedSuccessfully)
                {
                    // The peer's FIN came with these bytes: hand both over at once.
                    completed = true;
                    await input.CompleteAsync(ResolveReadError(null)).ConfigureAwait(false);
                    return;
                }
                var flush = await input.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled) break; // Kestrel stopped reading
            }
        }
        catch (QuicException ex)
        {
            error = MapStreamException(ex);
        }
        catch (ObjectDisposedException ex)
        {
            error = new ConnectionAbortedException("The stream was disposed.", ex);
        }
        finally
        {
            if (!completed) await input.CompleteAsync(ResolveReadError(error)).ConfigureAwait(false);
        }
    }

    private Exception? ResolveReadError(Exception? error)
    {
        lock (_gate) return _readAbortReason ?? _abortReason ?? error;
    }

    private async Task SendLoopAsync()
    {
        var output = _application.Input;
        Exception? error = null;
        lock (_gate) _sending = true;
        _ = WatchWritesClosedAsync();
        try
        {
            while (true)
            {
                var result = await output.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    // Abort(), AbortWrite() or the peer's STOP_SENDING (see WatchWritesClosedAsync).
                    lock (_gate) error = _writeAbortReason ?? _abortReason;
                    output.AdvanceTo(result.Buffer.Start);
                    break;
                }
                var buffer = result.Buffer;
                bool end = result.IsCompleted;
                if (!buffer.IsEmpty) await WriteAsync(buffer, end).ConfigureAwait(false);
                else if (end) _stream.CompleteWrites();
                output.AdvanceTo(buffer.End);
                if (end) break;
            }
        }
        catch (QuicException ex)
        {
            error = MapStreamException(ex);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
        {
            error = new ConnectionAbortedException("The stream was closed.", ex);
        }
        finally
        {
            lock (_gate) _sending = false;
            await output.CompleteAsync(error).ConfigureAwait(false);
            // A response that is done need not wait for an unread request body (Kestrel's own transport does the same).
            _application.Output.CancelPendingFlush();
        }
    }

    /// <summary>Writes a pipe buffer; FIN goes with the last segment when the application completed the pipe.</summary>
    private async ValueTask WriteAsync(ReadOnlySequence<byte> buffer, bool end)
    {
        if (buffer.IsSingleSegment)
        {
            await _stream.WriteAsync(buffer.First, completeWrites: end).ConfigureAwait(false);
            return;
        }
        var position = buffer.Start;
        buffer.TryGet(ref position, out var segment);
        while (true)
        {
            bool last = !buffer.TryGet(ref position, out var next);
            await _stream.WriteAsync(segment, completeWrites: last && end).ConfigureAwait(false);
            if (last) return;
            segment = next;
        }
    }

    /// <summary>
    /// The peer can stop our sending (STOP_SENDING) while the application is not writing; wake the send loop
    /// so Kestrel learns at once (it aborts the request).
    /// </summary>
    private async Task WatchWritesClosedAsync()
    {
        try
        {
            await _stream.WritesClosed.ConfigureAwait(false);
        }
        catch (QuicException ex)
        {
            bool wake;
            lock (_gate)
            {
                _writeAbortReason ??= MapStreamException(ex);
                wake = _sending;
            }
            if (wake) _application.Input.CancelPendingRead();
        }
#pragma warning disable CA1031 // a watcher has nothing to report to
        catch (Exception)
        {
        }
#pragma warning restore CA1031
    }

    /// <summary>
    /// The peer reset or stopped the stream (Kestrel: <see cref="ConnectionResetException"/>, with the peer's
    /// code in <see cref="IProtocolErrorCodeFeature.Error"/>); the connection went away; or we aborted it.
    /// </summary>
    private Exception MapStreamException(QuicException ex)
    {
        switch (ex.QuicError)
        {
            case QuicError.StreamAborted or QuicError.ConnectionAborted:
                if (ex.ApplicationErrorCode is long code) _error = code;
                return new ConnectionResetException(ex.Message, ex);
            case QuicError.OperationAborted:
                return new ConnectionAbortedException(ex.Message, ex);
            default:
                return new ConnectionResetException(ex.Message, ex);
        }
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        lock (_gate)
        {
            if (_abortReason is not null || _disposed != 0) return;
            _abortReason = abortReason;
        }
        long code = _error ?? _connection.Settings.DefaultStreamErrorCode;
        Log.StreamAborted(_log, ConnectionId, code, abortReason.Message);
        var dir = (CanRead ? QuicAbortDirection.Read : 0) | (CanWrite ? QuicAbortDirection.Write : 0);
        _stream.Abort(dir, code);
        if (CanWrite) _application.Input.CancelPendingRead();
    }

    private void FireClosed()
    {
        List<(Action<object?> Callback, object? State)>? callbacks;
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
            callbacks = _onClosed;
            _onClosed = null;
        }
        if (callbacks is not null)
        {
            foreach (var (callback, state) in callbacks)
            {
                try
                {
                    callback(state);
                }
#pragma warning disable CA1031 // one faulty callback must not skip the others
                catch (Exception ex)
                {
                    Log.UnexpectedStreamError(_log, ConnectionId, ex);
                }
#pragma warning restore CA1031
            }
        }
        _closedCts.Cancel();
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        // A receive loop waiting for data the peer has not sent would hold the stream forever: stop reading.
        if (!_processing.IsCompleted && CanRead && !_stream.ReadsClosed.IsCompleted)
            _stream.Abort(QuicAbortDirection.Read, _error ?? _connection.Settings.DefaultStreamErrorCode);
        await _processing.ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _closedCts.Dispose();
    }

    public override string ToString() => ConnectionId;

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
