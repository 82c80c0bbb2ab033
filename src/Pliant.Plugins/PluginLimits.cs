namespace Pliant.Plugins;

/// <summary>Resource caps applied to every instance of a plugin.</summary>
public sealed class PluginLimits
{
    /// <summary>Fuel (function entries + loop iterations) one call from the host may spend.</summary>
    public long FuelPerCall { get; init; } = 1_000_000;

    /// <summary>Maximum linear memory, in 64 KiB pages.</summary>
    public uint MaxMemoryPages { get; init; } = 16;

    /// <summary>Maximum wasm call depth.</summary>
    public int MaxCallDepth { get; init; } = 256;

    /// <summary>Maximum size of the .wasm file.</summary>
    public int MaxModuleBytes { get; init; } = 1 << 20;

    /// <summary>The defaults.</summary>
    public static PluginLimits Default { get; } = new();

    internal string CacheKey => $"{FuelPerCall}/{MaxMemoryPages}/{MaxCallDepth}/{MaxModuleBytes}";
}
