using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Pliant.Cli;

/// <summary>
/// Allocation sampling for the bench processes: when <c>PLIANT_BENCH_ALLOC_PROFILE</c> names a
/// directory, the runtime's GCAllocationTick events (one per ~100 KB allocated) are summed by type
/// and written to <c>alloc-ROLE-PID.txt</c> there at exit. Only for finding what allocates.
/// </summary>
internal sealed class BenchAllocProfiler : EventListener
{
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _ticks = new(StringComparer.Ordinal);
    private readonly string _path;
    private volatile bool _armed;

    private BenchAllocProfiler(string path) => _path = path;

    public static BenchAllocProfiler? StartIfRequested(string role)
    {
        var dir = Environment.GetEnvironmentVariable("PLIANT_BENCH_ALLOC_PROFILE");
        if (string.IsNullOrEmpty(dir)) return null;
        Directory.CreateDirectory(dir);
        return new BenchAllocProfiler(Path.Combine(dir, $"alloc-{role}-{Environment.ProcessId}.txt"));
    }

    /// <summary>Starts counting (call after warm-up, e.g. when the transfer starts).</summary>
    public void Arm()
    {
        _bytes.Clear();
        _ticks.Clear();
        _armed = true;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1 /* GC */);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_armed || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        string type = "?";
        long amount = 0;
        for (int i = 0; i < e.Payload.Count; i++)
        {
            string? name = e.PayloadNames?[i];
            if (name == "TypeName") type = e.Payload[i] as string ?? "?";
            else if (name == "AllocationAmount64") amount = Convert.ToInt64(e.Payload[i], CultureInfo.InvariantCulture);
        }
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
        _ticks.AddOrUpdate(type, 1, (_, v) => v + 1);
    }

    /// <summary>Writes the table (bytes sampled per type, largest first).</summary>
    public void Write()
    {
        _armed = false;
        long total = _bytes.Values.Sum();
        using var w = new StreamWriter(_path);
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# sampled bytes by type (GCAllocationTick), total {total}"));
        foreach (var (type, bytes) in _bytes.OrderByDescending(kv => kv.Value).Take(40))
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bytes,14} {100.0 * bytes / Math.Max(1, total),6:F1}% {_ticks[type],8} {type}"));
    }
}
