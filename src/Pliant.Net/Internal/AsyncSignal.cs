using System.Threading.Tasks.Sources;

namespace Pliant.Net.Internal;

/// <summary>Work the driver runs on its own thread after a pass, outside its lock (see <see cref="QuicEndpointDriver"/>).</summary>
internal interface IDeferredCompletion
{
    /// <summary>Runs on the driver's thread, outside the lock.</summary>
    void Run();
}

/// <summary>Where an <see cref="AsyncSignal"/> hands its completion (the driver); null completes at once.</summary>
internal interface ICompletionScheduler
{
    /// <summary>Queues <paramref name="completion"/> to run on the driver's thread after the current pass. Any thread.</summary>
    void Schedule(IDeferredCompletion completion);

    /// <summary>True on the driver's own thread.</summary>
    bool IsDriverThread { get; }
}

/// <summary>
/// A reusable one-waiter signal for the stream API: a read or write that has to wait arms it (under
/// the driver lock), the driver sets it when data or credit arrives. Unlike a
/// <see cref="TaskCompletionSource"/> per wait plus <c>Task.WaitAsync(token)</c>, waiting allocates
/// nothing in steady state.
/// <para>
/// With a scheduler (the driver) a <see cref="Set"/> is not acted on where it happens (under the lock,
/// in the middle of event dispatch): the driver runs the waiter's continuation itself once the pass
/// is over, on its own thread and outside the lock — no thread-pool hop per datagram (issue 17). A
/// cancellation completes from the cancelling thread, through the thread pool.
/// </para>
/// </summary>
internal sealed class AsyncSignal(ICompletionScheduler? scheduler = null) : IValueTaskSource, IDeferredCompletion
{
    private const int Idle = 0, Armed = 1, Completed = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private CancellationToken _token;
    private int _state;
    private int _scheduled;

    /// <summary>True while a waiter is armed and not yet released.</summary>
    public bool IsArmed => Volatile.Read(ref _state) == Armed;

    /// <summary>
    /// Arms the signal and returns the wait; call under the owner's lock. The wait faults with
    /// <see cref="OperationCanceledException"/> if <paramref name="cancellationToken"/> fires first.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another operation is already waiting.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Armed, Idle) != Idle)
            throw new InvalidOperationException("Another read or write of this stream is already in progress.");
        _token = cancellationToken;
        var wait = new ValueTask(this, _core.Version);
        if (cancellationToken.CanBeCanceled)
            _registration = cancellationToken.UnsafeRegister(static s => ((AsyncSignal)s!).Complete(canceled: true), this);
        return wait;
    }

    /// <summary>Releases the armed waiter, if any (under the owner's lock): at once, or after the driver's pass.</summary>
    public void Set()
    {
        if (scheduler is null)
        {
            Complete(canceled: false);
            return;
        }
        if (Volatile.Read(ref _state) == Armed && Interlocked.Exchange(ref _scheduled, 1) == 0) scheduler.Schedule(this);
    }

    /// <summary>The driver, after its pass: the waiter's continuation runs here, inline.</summary>
    void IDeferredCompletion.Run()
    {
        Volatile.Write(ref _scheduled, 0);
        Complete(canceled: false, inline: true);
    }

    private void Complete(bool canceled, bool inline = false)
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) != Armed) return; // not armed, or already released
        _core.RunContinuationsAsynchronously = !inline;
        if (canceled) _core.SetException(new OperationCanceledException(_token));
        else _core.SetResult(true);
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _registration.Dispose(); // waits for a cancellation callback that lost the race
            _registration = default;
            _token = default;
            _core.Reset();
            Volatile.Write(ref _state, Idle);
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _core.OnCompleted(continuation, state, token, flags);
}
