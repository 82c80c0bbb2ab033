using Pliant.Net.Internal;

namespace Pliant.Net.Tests.Api;

/// <summary>The listener's queue of handshaken connections (<see cref="AcceptQueue{T}"/>).</summary>
public class AcceptQueueTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs deferred completions when told, like a driver after its pass.</summary>
    private sealed class ManualScheduler : ICompletionScheduler
    {
        private readonly List<IDeferredCompletion> _queued = [];
        public void Schedule(IDeferredCompletion completion) => _queued.Add(completion);
        public bool IsDriverThread { get; init; } = true;
        public void RunAll()
        {
            foreach (var c in _queued.ToArray()) c.Run();
            _queued.Clear();
        }
    }

    [Fact]
    public async Task WaitersAreServedInOrder_ThroughTheProducersScheduler_AndItemsQueueWhenNobodyWaits()
    {
        var queue = new AcceptQueue<string>(capacity: 4);
        var driver = new ManualScheduler();
        var first = queue.ReadOrNullAsync(CancellationToken.None).AsTask();
        var second = queue.ReadOrNullAsync(CancellationToken.None).AsTask();
        Assert.True(queue.TryWrite("a", driver));
        Assert.True(queue.TryWrite("b", driver));
        Assert.False(first.IsCompleted); // not before the producing driver's pass is over
        driver.RunAll();
        Assert.Equal("a", await first.WaitAsync(Timeout));
        Assert.Equal("b", await second.WaitAsync(Timeout));

        Assert.True(queue.TryWrite("c", driver));
        Assert.Equal("c", await queue.ReadOrNullAsync(CancellationToken.None)); // queued: at once
    }

    [Fact]
    public void AFullOrCompletedQueueRefuses()
    {
        var queue = new AcceptQueue<string>(capacity: 2);
        var driver = new ManualScheduler();
        Assert.True(queue.TryWrite("a", driver));
        Assert.True(queue.TryWrite("b", driver));
        Assert.False(queue.TryWrite("c", driver)); // the backlog is full: the caller refuses the connection
        var done = new AcceptQueue<string>(4);
        done.Complete();
        Assert.False(done.TryWrite("x", driver));
    }

    [Fact]
    public async Task ACancelledWaiterLosesNothing_TheNextWaiterGetsTheItem()
    {
        var queue = new AcceptQueue<string>(capacity: 4);
        var driver = new ManualScheduler();
        using var cts = new CancellationTokenSource();
        var cancelled = queue.ReadOrNullAsync(cts.Token).AsTask();
        var patient = queue.ReadOrNullAsync(CancellationToken.None).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Timeout));
        Assert.True(queue.TryWrite("a", driver));
        driver.RunAll();
        Assert.Equal("a", await patient.WaitAsync(Timeout));
    }

    [Fact]
    public async Task CompletionReleasesWaitersWithNull_AfterQueuedItems()
    {
        var queue = new AcceptQueue<string>(capacity: 4);
        var waiting = queue.ReadOrNullAsync(CancellationToken.None).AsTask();
        queue.Complete();
        Assert.Null(await waiting.WaitAsync(Timeout));
        Assert.Null(await queue.ReadOrNullAsync(CancellationToken.None));

        var withItem = new AcceptQueue<string>(capacity: 4);
        withItem.TryWrite("a", new ManualScheduler());
        withItem.Complete();
        Assert.Equal("a", await withItem.ReadOrNullAsync(CancellationToken.None)); // taken before the end shows
        Assert.Null(await withItem.ReadOrNullAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AFloodOfCancelledAcceptsKeepsTheWaiterQueueBounded()
    {
        // Hostile use of the API (accept with a short timeout in a loop, no client ever arrives): memory must not
        // grow with the number of abandoned waits. Bound: the queue is purged whenever it doubles past 16 entries.
        var queue = new AcceptQueue<string>(capacity: 4);
        var driver = new ManualScheduler();
        var patient = queue.ReadOrNullAsync(CancellationToken.None).AsTask();
        for (int i = 0; i < 10_000; i++)
        {
            using var cts = new CancellationTokenSource();
            var wait = queue.ReadOrNullAsync(cts.Token).AsTask();
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        }
        Assert.InRange(queue.WaiterSlots, 1, 33);
        Assert.True(queue.TryWrite("a", driver)); // the one live waiter still gets it
        driver.RunAll();
        Assert.Equal("a", await patient.WaitAsync(Timeout));
    }

    [Fact]
    public async Task AQueuedConnectionIsHandedOverOnItsDriversThread_NotOnTheReadersOwn()
    {
        // An accept loop that just served driver A's connection must not set up driver B's on A's thread.
        var queue = new AcceptQueue<string>(capacity: 4);
        var driverB = new ManualScheduler { IsDriverThread = false };
        Assert.True(queue.TryWrite("b", driverB)); // nobody waiting: queued
        var read = queue.ReadOrNullAsync(CancellationToken.None).AsTask();
        Assert.False(read.IsCompleted); // not here: through driver B
        driverB.RunAll();
        Assert.Equal("b", await read.WaitAsync(Timeout));
    }
}
