using Pliant.Net.Internal;
using Pliant.Net.Internal.Core;

namespace Pliant.Net;

/// <summary>
/// A QUIC stream (RFC 9000 §2) as a <see cref="Stream"/>. Reads return 0 at the end of the stream;
/// writes wait while the send buffer is full. Abort a direction with <see cref="Abort"/>, end the
/// sending side gracefully with <see cref="CompleteWrites"/>. One reader and one writer at a time.
/// </summary>
public sealed partial class QuicStream : Stream
{
    private readonly QuicConnection _connection;
    private readonly QuicEndpointDriver _driver;
    private readonly IConnectionCore _core;
    private readonly ulong _id;
    private readonly LazyCompletion _readsClosed = new();
    private readonly LazyCompletion _writesClosed = new();
    private readonly AsyncSignal _readSignal;
    private readonly AsyncSignal _writeSignal;
    private Exception? _readError;
    private Exception? _writeError;
    private bool _readFin;
    private bool _writesCompleted;
    private bool _disposed;
    private bool _receivedEarlyData;

    internal QuicStream(QuicConnection connection, ulong id, bool outbound)
    {
        _connection = connection;
        _driver = connection.Driver;
        _core = connection.Core;
        _id = id;
        // Reads and writes resume on the driver's thread after its pass (no thread-pool hop per datagram).
        _readSignal = new AsyncSignal(_driver);
        _writeSignal = new AsyncSignal(_driver);
        // RFC 9000 §2.1: bit 0x2 marks unidirectional streams.
        Type = (id & 0x2) != 0 ? QuicStreamType.Unidirectional : QuicStreamType.Bidirectional;
        CanRead = Type == QuicStreamType.Bidirectional || !outbound;
        CanWrite = Type == QuicStreamType.Bidirectional || outbound;
        if (!CanRead) _readsClosed.TrySetResult();
        if (!CanWrite) _writesClosed.TrySetResult();
    }

    /// <summary>The stream ID (RFC 9000 §2.1).</summary>
    public long Id => (long)_id;

    /// <summary>Unidirectional or bidirectional.</summary>
    public QuicStreamType Type { get; }

    /// <summary>
    /// Server: true once any of the peer's data on this stream arrived as 0-RTT early data (RFC 9001 §4.6.1).
    /// Early data may be a replay by an attacker who captured the client's first flight (RFC 9001 §9.2,
    /// RFC 8446 §8): act on it only if doing so twice is harmless (HTTP answers other requests 425 Too
    /// Early, RFC 8470). Once true it stays true; data read before the handshake completed is covered
    /// (the mark is set as the packet is processed, before its data can be read). Always false on a client.
    /// </summary>
    public bool ReceivedEarlyData
    {
        get
        {
            lock (_driver.SyncRoot)
            {
                if (!_receivedEarlyData && !_disposed && _connection.CloseExceptionLocked is null)
                    _receivedEarlyData = _core.StreamReceivedEarlyData(_id);
                return _receivedEarlyData;
            }
        }
    }

    /// <inheritdoc />
    public override bool CanRead { get; }

    /// <inheritdoc />
    public override bool CanWrite { get; }

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanTimeout => false;

    /// <summary>Completes when the peer's data was read to the end; faults when reading was aborted.</summary>
    public Task ReadsClosed => _readsClosed.Task;

    /// <summary>Completes when everything written (and the end) was acknowledged; faults when writing was aborted.</summary>
    public Task WritesClosed => _writesClosed.Task;

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCoreAsync(buffer, throwOnFailure: true, cancellationToken);

    /// <summary>
    /// Reads like <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>, but when the read side has failed — reset by
    /// the peer, stopped locally, the connection closed, the stream disposed — completes with -1 and leaves the reason
    /// in <see cref="ReadFailure"/> instead of throwing it. For readers that outlive every request of a connection
    /// (HTTP/3 control and QPACK streams), whose reads all fail at the close: a thrown exception per such stream
    /// cost a short connection several percent of the server's CPU (issue 17). Cancellation still throws.
    /// </summary>
    /// <returns>The bytes read; 0 at the end of the stream; -1 when the read side failed.</returns>
    public ValueTask<int> TryReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCoreAsync(buffer, throwOnFailure: false, cancellationToken);

    /// <summary>Why the last <see cref="TryReadAsync"/> returned -1; null before that.</summary>
    public Exception? ReadFailure { get; private set; }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))] // no box per waiting read
    private async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, bool throwOnFailure, CancellationToken cancellationToken)
    {
        if (!CanRead) throw new InvalidOperationException("This stream cannot be read.");
        while (true)
        {
            ValueTask wait;
            lock (_driver.SyncRoot)
            {
                if (!throwOnFailure && (_disposed || _readError is not null))
                {
                    ReadFailure = _readError ?? new ObjectDisposedException(GetType().FullName);
                    return -1;
                }
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_readError is not null) throw _readError;
                if (_readFin || buffer.Length == 0) return 0;
                int n = _core.StreamRead(_id, buffer.Span, out bool fin);
                if (ReadCompletedLocked(n, fin)) return n;
                wait = _readSignal.WaitAsync(cancellationToken);
                // While we wait, in-order data goes straight into the caller's buffer.
                _core.StreamSetReadTarget(_id, buffer);
            }
            OperationCanceledException? canceled = null;
            try
            {
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException e)
            {
                canceled = e;
            }
            lock (_driver.SyncRoot)
            {
                // Whatever woke us, the core stops writing into the buffer now; data that arrived
                // first is returned even if the wait was cancelled (it counts as read).
                int direct = _core.StreamTakeDirect(_id, out bool fin);
                if (!_disposed && ReadCompletedLocked(direct, fin)) return direct;
            }
            if (canceled is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(canceled);
        }
    }

    /// <summary>Bookkeeping after <paramref name="n"/> bytes were read; true when the read returns.</summary>
    private bool ReadCompletedLocked(int n, bool fin)
    {
        if (fin)
        {
            _readFin = true;
            _readsClosed.TrySetResult();
        }
        if (n > 0) _driver.Wake(); // the read may have freed flow-control credit (MAX_STREAM_DATA)
        return n > 0 || fin;
    }

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        WriteAsync(buffer, completeWrites: false, cancellationToken);

    /// <summary>Writes <paramref name="buffer"/> and, when <paramref name="completeWrites"/>, ends the stream with it (FIN).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))] // no box per waiting write
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, bool completeWrites, CancellationToken cancellationToken = default)
    {
        if (!CanWrite) throw new InvalidOperationException("This stream cannot be written.");
        while (true)
        {
            ValueTask wait;
            lock (_driver.SyncRoot)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_writeError is not null) throw _writeError;
                if (_writesCompleted) throw new InvalidOperationException("Writes were already completed.");
                if (buffer.IsEmpty && !completeWrites) return;
                int n = _core.StreamWrite(_id, buffer.Span, completeWrites);
                buffer = buffer[n..];
                if (n > 0 || buffer.IsEmpty) _driver.Wake();
                if (buffer.IsEmpty)
                {
                    if (completeWrites) _writesCompleted = true;
                    return;
                }
                wait = _writeSignal.WaitAsync(cancellationToken);
            }
            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>Ends the sending side gracefully (FIN) after the data already written.</summary>
    public void CompleteWrites()
    {
        if (!CanWrite) return;
        lock (_driver.SyncRoot)
        {
            if (_writesCompleted || _writeError is not null || _connection.CloseExceptionLocked is not null) return;
            _core.StreamWrite(_id, [], fin: true);
            _writesCompleted = true;
        }
        _driver.Wake();
    }

    /// <summary>
    /// Sets the stream's sending priority (RFC 9218 §4): the connection's stream scheduler sends data of more
    /// urgent streams first; at one urgency, non-incremental streams go one at a time in stream id order and
    /// incremental ones share (§10). Streams start as urgency 3, incremental. After <see cref="CompleteWrites"/> it still
    /// orders what is not sent yet (and retransmissions); ignored on a stream that cannot write or a closed connection.
    /// </summary>
    /// <param name="urgency">0 (most urgent) to 7.</param>
    /// <param name="incremental">True when the peer uses the data as it arrives.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="urgency"/> outside 0..7.</exception>
    public void SetPriority(int urgency, bool incremental)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(urgency);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(urgency, Pliant.Quic.Streams.StreamPriority.MaxUrgency);
        lock (_driver.SyncRoot)
        {
            if (_connection.CloseExceptionLocked is not null || !CanWrite) return;
            _core.StreamSetPriority(_id, new Pliant.Quic.Streams.StreamPriority(urgency, incremental));
        }
        _driver.Wake();
    }

    /// <summary>
    /// Ends one or both directions abruptly: reading sends STOP_SENDING, writing sends RESET_STREAM,
    /// each with <paramref name="errorCode"/>. Pending operations on that side fail with
    /// <see cref="QuicError.OperationAborted"/>.
    /// </summary>
    public void Abort(QuicAbortDirection abortDirection, long errorCode)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(errorCode);
        lock (_driver.SyncRoot)
        {
            if (_connection.CloseExceptionLocked is not null) return;
            if (abortDirection.HasFlag(QuicAbortDirection.Read) && CanRead && !_readFin && _readError is null)
            {
                _core.StreamStopSending(_id, (ulong)errorCode);
                FailReadLocked(QuicException.Aborted("Reading was aborted."));
            }
            if (abortDirection.HasFlag(QuicAbortDirection.Write) && CanWrite && _writeError is null && !_writesClosed.IsCompleted)
            {
                _core.StreamReset(_id, (ulong)errorCode);
                FailWriteLocked(QuicException.Aborted("Writing was aborted."));
            }
        }
        _driver.Wake();
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        DisposeCore();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeCore();
        base.Dispose(disposing);
    }

    /// <summary>System.Net.Quic semantics: disposing completes writes and aborts unfinished reads.</summary>
    private void DisposeCore()
    {
        bool wake = false;
        lock (_driver.SyncRoot)
        {
            if (_disposed) return;
            if (_connection.CloseExceptionLocked is null && _driver.Fault is null)
            {
                try
                {
                    if (CanRead) _core.StreamTakeDirect(_id, out _); // a pending read's buffer is no longer written
                    if (CanWrite && !_writesCompleted && _writeError is null)
                    {
                        _core.StreamWrite(_id, [], fin: true);
                        _writesCompleted = true;
                        wake = true;
                    }
                    if (CanRead && !_readFin && _readError is null)
                    {
                        _core.StreamStopSending(_id, (ulong)_connection.Options.DefaultStreamErrorCode);
                        wake = true;
                    }
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException or KeyNotFoundException)
                {
                    // The stream is already gone in the core.
                }
            }
            _disposed = true;
            FailReadLocked(new ObjectDisposedException(nameof(QuicStream)));
            _writeSignal.Set();
            _connection.RemoveStreamLocked(_id);
        }
        if (wake) _driver.Wake();
    }

    /// <inheritdoc />
    public override string ToString() => $"QUIC stream {_id} ({Type})";
}
