using Pliant.Wasm;

namespace Pliant.Plugins;

/// <summary>Resource caps applied to every instance of a plugin (docs/plugin-abi.md "Limits").</summary>
public sealed class PluginLimits
{
    /// <summary>
    /// Fuel one call from the host may spend: one unit per WebAssembly instruction executed (charged per
    /// basic block), plus the cost of each host function it calls and of bulk memory work. Default
    /// 1 000 000 (about a millisecond of plugin code). Running out is a fault.
    /// </summary>
    public long FuelPerCall { get; init; } = 1_000_000;

    /// <summary>Maximum linear memory, in 64 KiB pages.</summary>
    public uint MaxMemoryPages { get; init; } = 16;

    /// <summary>Maximum wasm call depth.</summary>
    public int MaxCallDepth { get; init; } = 256;

    /// <summary>Maximum size of the .wasm file.</summary>
    public int MaxModuleBytes { get; init; } = 1 << 20;

    /// <summary>
    /// Most events (<c>emit_event</c> and <c>log</c> together) one call from the host may raise; default 8.
    /// Further ones are dropped and counted in <see cref="PluginUsage.EventsDropped"/>.
    /// </summary>
    public int MaxEventsPerCall { get; init; } = 8;

    /// <summary>
    /// Events an instance may raise in a burst (a token bucket refilled at <see cref="EventsPerSecond"/>
    /// by connection time); default 64. Events beyond it are dropped and counted.
    /// </summary>
    public int EventBurst { get; init; } = 64;

    /// <summary>Rate at which the event bucket refills, per second of connection time; default 16.</summary>
    public int EventsPerSecond { get; init; } = 16;

    /// <summary>The defaults.</summary>
    public static PluginLimits Default { get; } = new();

    /// <summary>
    /// The engine's caps for plugin modules: <see cref="WasmLimits"/>' structural defaults (checked while
    /// decoding), with this object's memory, call depth and module size, and tables of at most 4096 entries.
    /// </summary>
    internal WasmLimits ToWasmLimits() => new()
    {
        MaxMemoryPages = MaxMemoryPages,
        MaxCallDepth = MaxCallDepth,
        MaxModuleBytes = MaxModuleBytes,
        MaxTableSize = 4096,
    };

    internal string CacheKey => $"{FuelPerCall}/{MaxMemoryPages}/{MaxCallDepth}/{MaxModuleBytes}/{MaxEventsPerCall}/{EventBurst}/{EventsPerSecond}";
}
