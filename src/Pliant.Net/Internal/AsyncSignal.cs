using System.Threading.Tasks.Sources;

namespace Pliant.Net.Internal;

/// <summary>
/// A reusable one-waiter signal for the stream API: a read or write that has to wait arms it (under
/// the driver lock), the driver sets it when data or credit arrives. Unlike a
/// <see cref="TaskCompletionSource"/> per wait plus <c>Task.WaitAsync(token)</c>, waiting allocates
/// nothing in steady state. Continuations never run inline on the driver's thread.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private const int Idle = 0, Armed = 1, Completed = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private CancellationToken _token;
    private int _state;

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

    /// <summary>Releases the armed waiter, if any (under the owner's lock).</summary>
    public void Set() => Complete(canceled: false);

    private void Complete(bool canceled)
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) != Armed) return; // not armed, or already released
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
