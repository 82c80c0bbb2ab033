namespace Pliant.Wasm.Runtime;

/// <summary>
/// Per-store execution state shared by linked instances: remaining fuel, call depth, and the
/// scratch used to return multiple values. Not thread-safe: one thread runs a store at a time.
/// </summary>
public sealed class ExecState
{
    /// <summary>Remaining fuel; a trap "fuel exhausted" when it drops below zero.</summary>
    public long Fuel = long.MaxValue;

    /// <summary>Current wasm call depth.</summary>
    public int Depth;

    /// <summary>Maximum wasm call depth before "call stack exhausted".</summary>
    public int MaxDepth = 20000;

    /// <summary>Scratch for multi-value returns (numbers as raw bits).</summary>
    public long[] ResultBits = new long[16];

    /// <summary>Scratch for multi-value returns (references).</summary>
    public object?[] ResultRefs = new object?[16];

    /// <summary>Scratch for multi-value returns (v128).</summary>
    public System.Runtime.Intrinsics.Vector128<byte>[] ResultVecs = new System.Runtime.Intrinsics.Vector128<byte>[16];

    /// <summary>
    /// Function entry: checks the call depth (and, every 8th level, the native stack). Fuel is charged by
    /// the compiled code itself, per basic block (docs/plugin-abi.md "Limits").
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Enter()
    {
        int d = ++Depth;
        if (d > MaxDepth) Trap.StackExhausted();
        if ((d & 7) == 0 && !System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack()) Trap.StackExhausted();
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
