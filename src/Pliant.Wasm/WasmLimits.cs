namespace Pliant.Wasm;

/// <summary>
/// Engine caps that protect the host from hostile modules. The structural caps (counts, sizes) are
/// checked while decoding, <em>before</em> the engine allocates for what a count announces, and
/// fail with <see cref="WasmMalformedException"/> naming the cap; the compiler's frame cap fails
/// with <see cref="WasmInvalidException"/>. Defaults admit the WebAssembly spec suite and any
/// plugin clang builds by a wide margin (docs/plugin-abi.md "Limits").
/// </summary>
public sealed record WasmLimits
{
    /// <summary>Maximum memory size in 64 KiB pages (default 16384 = 1 GiB).</summary>
    public uint MaxMemoryPages { get; init; } = 16384;

    /// <summary>Maximum table size in elements.</summary>
    public uint MaxTableSize { get; init; } = 10_000_000;

    /// <summary>Maximum module size in bytes.</summary>
    public int MaxModuleBytes { get; init; } = 64 << 20;

    /// <summary>
    /// Maximum wasm call depth before the trap "call stack exhausted". Frames of functions that can recurse
    /// count (on a cycle of direct calls, or making an indirect or imported call): every recursion is
    /// bounded by it, and a chain of other calls by the function count and the native stack check.
    /// </summary>
    public int MaxCallDepth { get; init; } = 20_000;

    /// <summary>Most function types (type section entries); default 10 000.</summary>
    public int MaxTypes { get; init; } = 10_000;

    /// <summary>Most parameters, and separately most results, of one function type; default 1 000.</summary>
    public int MaxTypeArity { get; init; } = 1_000;

    /// <summary>Most imports; default 1 000.</summary>
    public int MaxImports { get; init; } = 1_000;

    /// <summary>Most functions, imported and defined together; default 10 000.</summary>
    public int MaxFunctions { get; init; } = 10_000;

    /// <summary>Most tables, imported and defined together; default 100.</summary>
    public int MaxTables { get; init; } = 100;

    /// <summary>Most globals, imported and defined together; default 10 000.</summary>
    public int MaxGlobals { get; init; } = 10_000;

    /// <summary>Most exports; default 10 000.</summary>
    public int MaxExports { get; init; } = 10_000;

    /// <summary>Most element segments; default 10 000.</summary>
    public int MaxElementSegments { get; init; } = 10_000;

    /// <summary>Most element items, summed over all element segments; default 100 000.</summary>
    public int MaxElementItems { get; init; } = 100_000;

    /// <summary>Most data segments; default 10 000.</summary>
    public int MaxDataSegments { get; init; } = 10_000;

    /// <summary>Largest function body in bytes (locals and code); default 128 KiB.</summary>
    public int MaxFunctionBodyBytes { get; init; } = 128 << 10;

    /// <summary>
    /// Most locals (parameters excluded) one function declares; default 4 096. Every local is a
    /// slot of the compiled method's native frame, see <see cref="MaxFrameSlots"/>.
    /// </summary>
    public int MaxLocalsPerFunction { get; init; } = 4_096;

    /// <summary>Most locals declared by all functions of the module together; default 131 072.</summary>
    public int MaxLocalsPerModule { get; init; } = 128 << 10;

    /// <summary>Most targets (the default included) of one <c>br_table</c>; default 65 536.</summary>
    public int MaxBrTableTargets { get; init; } = 64 << 10;

    /// <summary>
    /// Most native frame slots (parameters, locals, operand-stack slots; 8 bytes each, a v128 takes two)
    /// of one compiled function; default 8 192 = 64 KiB. The compiled code checks the thread's remaining stack on
    /// entry and .NET keeps 128 KiB in reserve at that check, so a frame must fit well inside it or a
    /// recursion could overflow the native stack before the check runs (and end the process).
    /// </summary>
    public int MaxFrameSlots { get; init; } = 8_192;

    /// <summary>
    /// Whether compiled code meters fuel (default true): one unit per instruction, charged per basic
    /// block and checked at function entries, loop headers and after calls, so <see cref="Runtime.Instance.Fuel"/>
    /// bounds a call's work. False compiles code without any fuel accounting — as V8 or wasmtime run by
    /// default — for trusted code that must run to completion: no charge, no check, and no fuel passed
    /// through memory around each call (in a call-heavy kernel the spill and reload of fuel around every
    /// call form a store-to-load dependency chain from one call to the next). Setting fuel on an instance
    /// of such a module throws <see cref="InvalidOperationException"/>: it could not be honoured. Unbounded
    /// recursion still traps (call depth and native stack are checked either way); an infinite loop does not.
    /// </summary>
    public bool MeterFuel { get; init; } = true;

    /// <summary>Default limits.</summary>
    public static WasmLimits Default { get; } = new();
}
