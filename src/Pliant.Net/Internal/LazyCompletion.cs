namespace Pliant.Net.Internal;

/// <summary>
/// A completion (success or failure) whose <see cref="Task"/> exists only once somebody asks for it. A stream's
/// <c>ReadsClosed</c>/<c>WritesClosed</c> are rarely awaited, yet a <see cref="TaskCompletionSource"/> each plus a
/// continuation observing its fault cost every stream two allocations and two thread-pool work items when it
/// ended — a short HTTP/3 connection has seven streams (issue 17).
/// </summary>
/// <remarks>
/// Setters run under the owner's lock; <see cref="Task"/> may be read from any thread. The setter publishes
/// the state before it looks for a task, the getter publishes the task before it looks at the state (both
/// with full fences), so at least one of them completes the task.
/// </remarks>
internal sealed class LazyCompletion
{
    private const int Pending = 0, Succeeded = 1, Failed = 2;

    private int _state;
    private Exception? _error;
    private TaskCompletionSource? _tcs;

    /// <summary>True once completed either way.</summary>
    public bool IsCompleted => Volatile.Read(ref _state) != Pending;

    /// <summary>Completes successfully; false if already completed.</summary>
    public bool TrySetResult()
    {
        if (Interlocked.CompareExchange(ref _state, Succeeded, Pending) != Pending) return false;
        Volatile.Read(ref _tcs)?.TrySetResult();
        return true;
    }

    /// <summary>Completes with <paramref name="error"/>; false if already completed.</summary>
    public bool TrySetException(Exception error)
    {
        if (Volatile.Read(ref _state) != Pending) return false; // setters are serialised by the owner's lock
        _error = error;
        if (Interlocked.CompareExchange(ref _state, Failed, Pending) != Pending) return false;
        Volatile.Read(ref _tcs)?.TrySetException(error);
        return true;
    }

    /// <summary>The completion as a task (created on first use; continuations run asynchronously).</summary>
    public Task Task
    {
        get
        {
            var tcs = Volatile.Read(ref _tcs);
            if (tcs is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                // A failure nobody awaits must not surface as an unobserved task exception.
                created.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                tcs = Interlocked.CompareExchange(ref _tcs, created, null) ?? created;
            }
            switch (Volatile.Read(ref _state))
            {
                case Succeeded:
                    tcs.TrySetResult();
                    break;
                case Failed:
                    tcs.TrySetException(_error!);
                    break;
            }
            return tcs.Task;
        }
    }
}
