namespace Pliant.Plugins.Exchange;

/// <summary>
/// Loads (decodes, validates, compiles and JIT-compiles) modules received from peers on the thread
/// pool, never on a connection's driver thread: at most half the processors' worth at once, so a burst
/// of pushes from many connections queues instead of taking every core. A module already compiled
/// comes from <see cref="PluginModule"/>'s cache when its turn comes.
/// </summary>
internal static class BackgroundLoader
{
    private static readonly SemaphoreSlim Slots = new(Math.Max(1, Environment.ProcessorCount / 2));

    /// <summary>Starts <paramref name="load"/> on the thread pool; the task faults with what it threw.</summary>
    public static Task<PluginModule> Start(Func<PluginModule> load) => Task.Run(async () =>
    {
        await Slots.WaitAsync().ConfigureAwait(false);
        try { return load(); }
        finally { Slots.Release(); }
    });
}
