namespace Pliant.Net.Internal;

/// <summary>
/// The listener's bounded queue of handshaken connections, filled by any of its drivers. A waiting
/// <see cref="QuicListener.AcceptConnectionAsync"/> is resumed on the thread of the driver that produced the
/// connection, after that driver's pass (outside its lock) — where the connection's own work runs anyway — instead
/// of through the thread pool (a <c>Channel</c> did that, one hop per connection, issue 17). Several accepts may
/// wait at once (served in order).
/// </summary>
/// <remarks>
/// Memory: at most <c>capacity</c> queued items; cancelled waiters are dropped at the latest when the waiter
/// queue doubles past 16 entries. Completion (listener stopped or failed) releases waiters through the thread
/// pool, since it may happen under a driver's lock.
/// </remarks>
internal sealed class AcceptQueue<T>(int capacity) where T : class
{
    private readonly Lock _gate = new();
    private readonly Queue<(T Item, ICompletionScheduler Via)> _items = new();
    private readonly Queue<Waiter> _waiters = new();
    private int _purgeAt = 16;
    private bool _completed;

    /// <summary>Waiters in the queue, cancelled ones not yet dropped included (tests: memory bound).</summary>
    internal int WaiterSlots
    {
        get
        {
            lock (_gate) return _waiters.Count;
        }
    }

    /// <summary>
    /// Hands <paramref name="item"/> to the oldest waiter (resumed through <paramref name="via"/>) or queues it;
    /// false when full or completed (the caller refuses it).
    /// </summary>
    public bool TryWrite(T item, ICompletionScheduler via)
    {
        lock (_gate)
        {
            if (_completed) return false;
            while (_waiters.TryDequeue(out var waiter))
            {
                if (!waiter.TryClaim()) continue; // cancelled meanwhile
                waiter.Item = item;
                via.Schedule(waiter);
                return true;
            }
            if (_items.Count >= capacity) return false;
            _items.Enqueue((item, via));
            return true;
        }
    }

    /// <summary>No more items: waiters and later reads get null once the queued items are taken.</summary>
    public void Complete()
    {
        Waiter[] waiting;
        lock (_gate)
        {
            if (_completed) return;
            _completed = true;
            waiting = [.. _waiters];
            _waiters.Clear();
        }
        foreach (var w in waiting)
            if (w.TryClaim()) ThreadPool.UnsafeQueueUserWorkItem(static s => s.Run(), w, preferLocal: false);
    }

    /// <summary>The next item, or null once completed and empty.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public ValueTask<T?> ReadOrNullAsync(CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (_items.TryDequeue(out var queued))
            {
                if (queued.Via.IsDriverThread) return ValueTask.FromResult<T?>(queued.Item);
                // Resume on the producer's thread, like a waiter would have: an accept loop that just served a
                // connection of one driver must not run the next one's setup on that driver's thread.
                var handOver = new Waiter(this) { Item = queued.Item };
                handOver.TryClaim();
                queued.Via.Schedule(handOver);
                return new ValueTask<T?>(handOver.Task);
            }
            if (_completed) return ValueTask.FromResult<T?>(null);
            cancellationToken.ThrowIfCancellationRequested();
            waiter = new Waiter(this);
            _waiters.Enqueue(waiter);
        }
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static (s, token) => ((Waiter)s!).Cancel(token), waiter);
            if (waiter.IsClaimed) waiter.Registration.Dispose(); // served before the registration existed
        }
        return new ValueTask<T?>(waiter.Task);
    }

    /// <summary>Bounds the waiter queue: cancelled waiters are dropped whenever it doubles past 16 entries.</summary>
    private void DropCancelledWaiters()
    {
        lock (_gate)
        {
            if (_waiters.Count < _purgeAt) return;
            int live = 0;
            for (int i = _waiters.Count; i > 0; i--)
            {
                var w = _waiters.Dequeue();
                if (!w.IsClaimed) { _waiters.Enqueue(w); live++; }
            }
            _purgeAt = Math.Max(16, live * 2);
        }
    }

    /// <summary>One waiting read; completed inline by whoever runs it (the producing driver, after its pass).</summary>
    private sealed class Waiter(AcceptQueue<T> owner) : IDeferredCompletion
    {
        // Not RunContinuationsAsynchronously: Run executes on the driver's thread outside its lock, and the
        // accept's continuation is meant to run right there.
        private readonly TaskCompletionSource<T?> _tcs = new();
        private int _claimed;

        public T? Item;
        public CancellationTokenRegistration Registration;

        public Task<T?> Task => _tcs.Task;
        public bool IsClaimed => Volatile.Read(ref _claimed) != 0;

        /// <summary>First of item, completion and cancellation wins.</summary>
        public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

        public void Run()
        {
            Registration.Dispose();
            _tcs.TrySetResult(Item);
        }

        /// <summary>The reader's token fired: unless an item or the completion got there first (then it is delivered).</summary>
        public void Cancel(CancellationToken token)
        {
            if (!TryClaim()) return;
            _tcs.TrySetCanceled(token);
            owner.DropCancelledWaiters();
        }
    }
}
