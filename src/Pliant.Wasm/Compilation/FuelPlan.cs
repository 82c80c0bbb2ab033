using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Where a function charges fuel and how much: one unit per instruction, charged up front at the
/// start of each basic block for the whole block (so a block that does not fit the budget never
/// starts), checked at function entry, at loop headers, after calls and at least every
/// <see cref="CheckInterval"/> instructions of straight-line code.
/// <para>Why that bounds a call: every cycle of the control-flow graph passes a loop header and every
/// call a function entry, and both check. Between two checks control only moves forward through one
/// function body, and every block it enters was charged before it ran — so the instructions a call
/// executes never exceed the fuel it was given by more than the straight-line stretch since the
/// last check (at most one function body, <see cref="WasmLimits.MaxFunctionBodyBytes"/>; in practice
/// under <see cref="CheckInterval"/>). Structural instructions (<c>nop block loop else end</c>)
/// generate no code and cost nothing; a forward branch skipping code is charged only for what ran.</para>
/// </summary>
internal readonly struct FuelPlan
{
    /// <summary>Most instructions charged between two checks along straight-line code.</summary>
    public const int CheckInterval = 1000;

    /// <summary>Fuel charged at each instruction index (0 where no block starts or the block is free).</summary>
    public readonly int[] Cost;

    /// <summary>True where the charge is also checked against zero.</summary>
    public readonly bool[] Check;

    private FuelPlan(int[] cost, bool[] check)
    {
        Cost = cost;
        Check = check;
    }

    /// <summary>Fuel one instruction costs.</summary>
    public static int CostOf(ushort op) => op is 0x01 or 0x02 or 0x03 or 0x05 or 0x0B ? 0 : 1;

    // Per open block, whether it is a loop; reused by the thread's next plan.
    [ThreadStatic] private static bool[]? _openLoops;

    /// <summary>Plans a validated function body (its final <c>end</c> included).</summary>
    /// <remarks>
    /// One pass: whether instruction pc + 1 starts a block depends only on instructions up to pc, and a
    /// block's charge is final (and its check decided, in order) when the next block starts.
    /// </remarks>
    public static FuelPlan For(Instr[] code)
    {
        var check = new bool[code.Length + 1];
        var cost = new int[code.Length];
        check[0] = true;
        var loops = _openLoops ?? new bool[64];
        _openLoops = null;
        int open = 0;
        bool start = true, counting = true;
        int current = 0, sinceCheck = 0;
        for (int pc = 0; pc < code.Length; pc++)
        {
            ushort op = code[pc].Op;
            if (start)
            {
                if (pc > 0) Close(current, cost, check, ref sinceCheck);
                current = pc;
                counting = true;
            }
            if (counting)
            {
                cost[current] += CostOf(op);
                // br, br_table, return, unreachable: what follows up to the next block start never runs.
                if (op is 0x0C or 0x0E or 0x0F or 0x00) counting = false;
            }
            // if, else, br_if: both ways continue.
            start = op is 0x04 or 0x05 or 0x0D;
            switch (op)
            {
                case 0x02 or 0x03 or 0x04:
                    if (open == loops.Length) Array.Resize(ref loops, loops.Length * 2);
                    loops[open++] = op == 0x03;
                    if (op == 0x03) start = check[pc + 1] = true; // loop header: every iteration comes back here
                    break;
                case 0x0B:
                    // The end of a block or if is a branch target; the end of a loop is not.
                    if (open > 0 && !loops[--open]) start = true;
                    break;
            }
        }
        if (code.Length > 0) Close(current, cost, check, ref sinceCheck);
        if (loops.Length <= 4096) _openLoops = loops;
        return new FuelPlan(cost, check);
    }

    /// <summary>A block's charge is final: checked when the plan says so or when the straight-line run since the last check reaches <see cref="CheckInterval"/>.</summary>
    private static void Close(int block, int[] cost, bool[] check, ref int sinceCheck)
    {
        sinceCheck += cost[block];
        if (check[block] || sinceCheck >= CheckInterval)
        {
            check[block] = true;
            sinceCheck = 0;
        }
    }
}
