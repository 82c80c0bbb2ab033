namespace Pliant.Net;

public sealed partial class QuicStream
{
    // All of these run under the driver lock, from the event dispatch.

    internal void OnReadableLocked() => WakeReaderLocked();

    internal void OnWritableLocked() => WakeWriterLocked();

    internal void OnResetLocked(long errorCode) =>
        FailReadLocked(new QuicException(QuicError.StreamAborted, errorCode, $"The peer reset the stream with error {errorCode}."));

    internal void OnStopSendingLocked(long errorCode) =>
        FailWriteLocked(new QuicException(QuicError.StreamAborted, errorCode, $"The peer asked to stop sending with error {errorCode}."));

    internal void OnSendCompleteLocked()
    {
        _writesClosed.TrySetResult();
        WakeWriterLocked();
    }

    internal void OnConnectionClosedLocked(QuicException error)
    {
        FailReadLocked(error);
        FailWriteLocked(error);
    }

    private void FailReadLocked(Exception error)
    {
        if (_readError is null && !_readFin) _readError = error;
        _readsClosed.TrySetException(error);
        WakeReaderLocked();
    }

    private void FailWriteLocked(Exception error)
    {
        _writeError ??= error;
        _writesClosed.TrySetException(error);
        WakeWriterLocked();
    }

    private void WakeReaderLocked()
    {
        _readSignal.Set();
    }

    private void WakeWriterLocked()
    {
        _writeSignal.Set();
    }
}
