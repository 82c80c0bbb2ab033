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

    /// <summary>Plans a validated function body (its final <c>end</c> included).</summary>
    public static FuelPlan For(Instr[] code)
    {
        var starts = new bool[code.Length + 1];
        var check = new bool[code.Length + 1];
        starts[0] = check[0] = true;
        var openers = new List<ushort>();
        for (int pc = 0; pc < code.Length; pc++)
        {
            switch (code[pc].Op)
            {
                case 0x02 or 0x04: openers.Add(code[pc].Op); break;
                case 0x03:
                    openers.Add(0x03);
                    starts[pc + 1] = check[pc + 1] = true; // loop header: every iteration comes back here
                    break;
                case 0x0B:
                    // The end of a block or if is a branch target; the end of a loop is not.
                    if (openers.Count > 0)
                    {
                        if (openers[^1] != 0x03) starts[pc + 1] = true;
                        openers.RemoveAt(openers.Count - 1);
                    }
                    break;
            }
            if (code[pc].Op is 0x04 or 0x05 or 0x0D) starts[pc + 1] = true; // if, else, br_if: both ways continue
        }
        var cost = new int[code.Length];
        int current = 0;
        bool counting = true;
        for (int pc = 0; pc < code.Length; pc++)
        {
            if (starts[pc]) { current = pc; counting = true; }
            if (!counting) continue;
            cost[current] += CostOf(code[pc].Op);
            // br, br_table, return, unreachable: what follows up to the next block start never runs.
            if (code[pc].Op is 0x0C or 0x0E or 0x0F or 0x00) counting = false;
        }
        int sinceCheck = 0;
        for (int pc = 0; pc < code.Length; pc++)
        {
            if (!starts[pc]) continue;
            sinceCheck += cost[pc];
            if (check[pc] || sinceCheck >= CheckInterval)
            {
                check[pc] = true;
                sinceCheck = 0;
            }
        }
        return new FuelPlan(cost, check);
    }
}
