namespace Pliant.Wasm.Runtime;

/// <summary>
/// Per-store execution state shared by linked instances: remaining fuel, call depth, and the
/// scratch used to return multiple values. Not thread-safe: one thread runs a store at a time.
/// </summary>
public sealed class ExecState
{
    /// <summary>Remaining fuel; a trap "fuel exhausted" when it drops below zero.</summary>
    public long Fuel = long.MaxValue;

    /// <summary>
    /// Current wasm call depth, counted by the functions that can recurse (see <see cref="MaxDepth"/>);
    /// host entry points restore it when a call returns or traps.
    /// </summary>
    public int Depth;

    /// <summary>
    /// Maximum wasm call depth before "call stack exhausted". Only frames of functions that can be
    /// re-entered while active count (on a cycle of direct calls, or making an indirect or imported call):
    /// a chain of other calls is bounded by the module's function count and by the native stack check.
    /// </summary>
    public int MaxDepth = 20000;

    /// <summary>
    /// 31 and 63, read by generated code to mask a variable rotate count (<see cref="Numerics.RotlVar32"/>):
    /// a field, so the JIT can never see the count as a constant.
    /// </summary>
    public int RotateMask32 = 31, RotateMask64 = 63;

    /// <summary>Scratch for multi-value returns (numbers as raw bits).</summary>
    public long[] ResultBits = new long[16];

    /// <summary>Scratch for multi-value returns (references).</summary>
    public object?[] ResultRefs = new object?[16];

    /// <summary>Scratch for multi-value returns (v128).</summary>
    public System.Runtime.Intrinsics.Vector128<byte>[] ResultVecs = new System.Runtime.Intrinsics.Vector128<byte>[16];

    /// <summary>
    /// Lowest native stack address known safe on the thread that last checked: an entry whose stack
    /// address lies in [StackLimit, StackLimit + <see cref="StackWindow"/>] needs no runtime call. That
    /// range is stack the runtime verified (≥ 128 KiB free below its top on 64-bit), so it belongs to the
    /// checking thread alone: another thread running this state later is outside it and re-checks.
    /// </summary>
    public nuint StackLimit;

    /// <summary>Native stack a run of small frames may descend between two runtime stack checks.</summary>
    public const int StackWindow = 32 * 1024;

    /// <summary>
    /// Function entry: checks the native stack, given the address of a local of the entering frame
    /// (<paramref name="sp"/>): one subtraction and compare against the window verified last (every 8th
    /// level called the runtime before, ~20% of a call-heavy kernel's time). Fuel is charged by the
    /// compiled code itself, per basic block (docs/plugin-abi.md "Limits"); call depth by
    /// <see cref="EnterCounting"/> in the functions that can recurse.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Enter(nuint sp)
    {
        if (sp - StackLimit > StackWindow) EnterNewStack(sp);
    }

    /// <summary>
    /// Entry of a function that can recurse (on a cycle of calls, or calling an unknown target): adds one
    /// to <see cref="Depth"/>, traps "call stack exhausted" above <see cref="MaxDepth"/>, and returns the
    /// new depth. The function does not decrement it on return: its caller stores its own depth back after
    /// the call (so consecutive calls do not form a dependency chain through this field), and entry points
    /// from the host restore the depth they saw.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int EnterCounting()
    {
        int d = Depth + 1;
        if (d > MaxDepth) Trap.StackExhausted();
        Depth = d;
        return d;
    }

    /// <summary>
    /// Entry of a copy of a recursive function inlined into its caller (whose own depth is
    /// <paramref name="depth"/> - 1, equal to <see cref="Depth"/> at the call): traps "call stack exhausted"
    /// above <see cref="MaxDepth"/>, stores <paramref name="depth"/> to <see cref="Depth"/> and returns it.
    /// Same effect as <see cref="EnterCounting"/>, but the new depth comes from the caller's register, not
    /// from a load of the field its caller has just stored (a store-to-load round trip per inlined call).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int EnterInlined(int depth)
    {
        if (depth > MaxDepth) Trap.StackExhausted();
        Depth = depth;
        return depth;
    }

    /// <summary>
    /// Entry of a frame or inlined copy of a self-recursive function whose body passes fuel and depth in
    /// registers (its caller's depth + 1 is <paramref name="depth"/>): traps "call stack exhausted" above
    /// <see cref="MaxDepth"/> and returns <paramref name="depth"/>, without storing it: such a body stores its
    /// depth to <see cref="Depth"/> only before the calls that read it (to other functions, imports, tables).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int CheckDepth(int depth)
    {
        if (depth > MaxDepth) Trap.StackExhausted();
        return depth;
    }

    /// <summary>
    /// Entry of a copy of a self-recursive function inlined <paramref name="level"/> levels below its method's own
    /// frame, given that frame's <paramref name="room"/> (<see cref="MaxDepth"/> minus its depth, taken at its entry):
    /// traps "call stack exhausted" when the copy's depth (the frame's + <paramref name="level"/>) is above
    /// <see cref="MaxDepth"/>. The same test as <see cref="CheckDepth"/>, against a register instead of the field.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static void CheckRoom(int room, int level)
    {
        if (level > room) Trap.StackExhausted();
    }

    /// <summary>Out of the verified window (deeper, shallower, first entry, or another thread): asks the runtime.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void EnterNewStack(nuint sp)
    {
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack()) Trap.StackExhausted();
        // At least 128 KiB are free below here (64-bit .NET): frames entered within 32 KiB below keep ≥ 96 KiB.
        StackLimit = sp - StackWindow;
    }

    /// <summary>Traps "call stack exhausted" when the native stack is nearly used up.</summary>
    public static void CheckStack()
    {
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack()) Trap.StackExhausted();
    }

    /// <summary>Charges <paramref name="units"/> of fuel for bulk work.</summary>
    public void Charge(long units)
    {
        Fuel -= units;
        if (Fuel < 0) Trap.FuelExhausted();
    }

    /// <summary>
    /// The compiled code's fuel check failed: stores what it had left (below zero) so the host sees how
    /// far over budget the call went, and traps "fuel exhausted".
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public void OutOfFuel(long remaining)
    {
        Fuel = remaining;
        Trap.FuelExhausted();
    }

    /// <summary>Grows the result scratch to hold <paramref name="n"/> values.</summary>
    public void EnsureResults(int n)
    {
        if (ResultBits.Length < n)
        {
            ResultBits = new long[n];
            ResultRefs = new object?[n];
            ResultVecs = new System.Runtime.Intrinsics.Vector128<byte>[n];
        }
    }
}
