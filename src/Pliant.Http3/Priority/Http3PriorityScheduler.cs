namespace Pliant.Http3;

/// <summary>
/// A simple urgency order for one connection's responses (RFC 9218 §10), applied where the HTTP/3 layer hands
/// DATA to QUIC: a response writes only while no response that precedes it (more urgent; or as urgent, both
/// non-incremental, on a lower stream id) is writing. Incremental responses of equal urgency share. A
/// response that is not writing (its handler is busy) holds nobody back. QUIC's stream scheduler also takes the
/// priorities (the transport receives them through <see cref="IH3StreamControl.SetPriority"/>, and again on each
/// PRIORITY_UPDATE) and orders what is already buffered; this orders hand-overs, so its effect shows when QUIC's
/// send buffer or flow control makes writers wait. Cost per DATA write: one lock and a scan of the writers active.
/// </summary>
public sealed class Http3PriorityScheduler
{
    private readonly object _gate = new();
    private readonly List<Turn> _active = [];
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Responses writing now.</summary>
    public int ActiveWriters
    {
        get { lock (_gate) return _active.Count; }
    }

    /// <summary>Waits counted so far: how often a write had to let a more urgent one go first.</summary>
    public long Deferrals => Interlocked.Read(ref _deferrals);

    private long _deferrals;

    /// <summary>One response's place in the order.</summary>
    public sealed class Turn(Http3PriorityScheduler owner, ulong streamId, Http3Priority priority)
    {
        /// <summary>The response's stream.</summary>
        public ulong StreamId { get; } = streamId;

        /// <summary>The current priority (a PRIORITY_UPDATE changes it, RFC 9218 §7).</summary>
        public Http3Priority Priority { get; private set; } = priority;

        /// <summary>Called with the new priority after each <see cref="Update"/> (the server passes it to the QUIC stream).</summary>
        public Action<Http3Priority>? Changed { get; set; }

        /// <summary>Changes the priority and lets waiting writers re-check.</summary>
        public void Update(Http3Priority priority)
        {
            lock (owner._gate) Priority = priority;
            owner.Signal();
            Changed?.Invoke(priority);
        }

        /// <summary>Waits until no preceding response is writing, then counts as writing until the result is disposed.</summary>
        public async ValueTask<Release> EnterAsync(CancellationToken ct)
        {
            bool deferred = false;
            while (true)
            {
                Task wait;
                lock (owner._gate)
                {
                    if (!owner.AnyPreceding(this))
                    {
                        owner._active.Add(this);
                        return new Release(this);
                    }
                    wait = owner._changed.Task;
                }
                if (!deferred)
                {
                    deferred = true;
                    Interlocked.Increment(ref owner._deferrals);
                }
                await wait.WaitAsync(ct).ConfigureAwait(false);
            }
        }

        internal void Exit()
        {
            lock (owner._gate) owner._active.Remove(this);
            owner.Signal();
        }
    }

    /// <summary>Ends a write turn.</summary>
    public readonly struct Release(Turn turn) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => turn?.Exit();
    }

    /// <summary>A place in the order for the response on <paramref name="streamId"/>.</summary>
    public Turn Join(ulong streamId, Http3Priority priority) => new(this, streamId, priority);

    private bool AnyPreceding(Turn t)
    {
        foreach (var o in _active)
            if (!ReferenceEquals(o, t) && Http3Priority.Precedes(o.Priority, o.StreamId, t.Priority, t.StreamId)) return true;
        return false;
    }

    private void Signal()
    {
        TaskCompletionSource old;
        lock (_gate)
        {
            old = _changed;
            _changed = NewSignal();
        }
        old.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
