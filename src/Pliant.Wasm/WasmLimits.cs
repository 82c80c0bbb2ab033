namespace Pliant.Wasm;

/// <summary>Engine caps that protect the host from hostile modules.</summary>
public sealed record WasmLimits
{
    /// <summary>Maximum memory size in 64 KiB pages (default 16384 = 1 GiB).</summary>
    public uint MaxMemoryPages { get; init; } = 16384;

    /// <summary>Maximum table size in elements.</summary>
    public uint MaxTableSize { get; init; } = 10_000_000;

    /// <summary>Maximum module size in bytes.</summary>
    public int MaxModuleBytes { get; init; } = 64 << 20;

    /// <summary>Maximum wasm call depth before the trap "call stack exhausted".</summary>
    public int MaxCallDepth { get; init; } = 20_000;

    /// <summary>Default limits.</summary>
    public static WasmLimits Default { get; } = new();
}
