namespace Pliant.Net.Internal;

/// <summary>
/// An unbounded single-reader queue filled by the driver (under its lock) whose waiting reader resumes on
/// the driver's thread after the pass, like a stream read (<see cref="AsyncSignal"/>): accepting an inbound
/// stream costs no thread-pool hop. A <c>Channel</c> woke its reader through the thread pool, once per
/// stream — four times per short HTTP/3 connection (issue 17).
/// </summary>
/// <remarks>One read may wait at a time; a second concurrent read fails with <see cref="InvalidOperationException"/>.</remarks>
internal sealed class DriverQueue<T>(QuicEndpointDriver driver, string waitingMessage) where T : class
{
    private readonly Queue<T> _items = new(4);
    private readonly AsyncSignal _signal = new(driver);
    private bool _completed;

    /// <summary>Adds <paramref name="item"/> and wakes the reader; false once completed. Under the driver lock.</summary>
    public bool TryWriteLocked(T item)
    {
        if (_completed) return false;
        _items.Enqueue(item);
        _signal.Set();
        return true;
    }

    /// <summary>No more items: a waiting reader gets null once the queue is empty. Under the driver lock.</summary>
    public void CompleteLocked()
    {
        _completed = true;
        _signal.Set();
    }

    /// <summary>The next item, or null once the queue is completed and empty.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">Another read is already waiting.</exception>
    public async ValueTask<T?> ReadOrNullAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ValueTask wait;
            lock (driver.SyncRoot)
            {
                if (_items.TryDequeue(out var item)) return item;
                if (_completed) return null;
                if (_signal.IsArmed) throw new InvalidOperationException(waitingMessage);
                wait = _signal.WaitAsync(cancellationToken);
            }
            await wait.ConfigureAwait(false);
        }
    }
}
