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
/// <para>Back edges: a block that ends with an unconditional <c>br</c> to a loop (and is not checked at its
/// start, contains no call or other fuel-checking instruction and is not the loop's own header block) is
/// charged at that branch instead of at its start, together with the loop's header block, and checked
/// there; the branch then enters the loop past the header's charge and check (<see cref="Edge"/>). Nothing
/// observable changes: the same units are charged for every path, and when fuel runs out the trap comes
/// at the same point (after the block, before the header runs) with the same remaining fuel; the block's
/// own charge was never checked before it ran, and a trap inside it does not publish the fuel local. It
/// saves the header's charge on every iteration that comes back by such a branch (an interpreter's
/// dispatch loop: every iteration).</para>
/// <para>Joins: when such a block J starts at the end of a <c>block</c> that control reaches only by <c>br</c>
/// (no fall-through into the end, no <c>br_if</c> or <c>br_table</c> to it) from blocks that are not checked at
/// their start and contain no call — a C <c>switch</c> whose cases <c>break</c> to a shared tail before the
/// loop's back edge — J's back-edge units are charged instead at the start of each of those blocks, with their
/// own (unchecked, as before), and J's branch only checks (<see cref="CheckOnly"/>). The fuel at J's check is
/// the same on every path, so the trap point and the fuel left are unchanged; between the earlier charge and the
/// check run only the predecessor and J, which cannot read the fuel (no call), and a trap of another kind there
/// does not publish the fuel local. It saves one subtraction per case that goes through the tail.</para>
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal readonly struct FuelPlan
{
    /// <summary>Most instructions charged between two checks along straight-line code.</summary>
    public const int CheckInterval = 1000;

    /// <summary>Fuel charged at each instruction index (0 where no block starts or the block is free).</summary>
    public readonly int[] Cost;

    /// <summary>True where the charge is also checked against zero.</summary>
    public readonly bool[] Check;

    /// <summary>
    /// At a <c>br</c> to a loop: the units to charge and check right before branching past the loop
    /// header's charge (its own block's and the header block's), or 0 where the branch enters the loop
    /// at its header as usual; null when the body has no such branch.
    /// </summary>
    public readonly int[]? Edge;

    /// <summary>An <see cref="Edge"/> value: the branch charges nothing (its predecessors did), only checks.</summary>
    public const int CheckOnly = -1;

    private FuelPlan(int[] cost, bool[] check, int[]? edge)
    {
        Cost = cost;
        Check = check;
        Edge = edge;
    }

    /// <summary>True for the instructions that spill, check or charge fuel by themselves (calls, growth, bulk operations).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool ChecksFuel(ushort op) => op is 0x10 or 0x11 or 0x40 || op is >= 0xFC08 and <= 0xFC11;

    /// <summary>Fuel one instruction costs.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int CostOf(ushort op) => op is 0x01 or 0x02 or 0x03 or 0x05 or 0x0B ? 0 : 1;

    // For opcodes below 0x100: true for the plain ones — cost one unit, do not check fuel, neither branch nor open,
    // split or close a block — which For only counts (the rest take its general path, the same for every opcode).
    private static readonly bool[] PlainOps = BuildPlainOps();

    private static bool[] BuildPlainOps()
    {
        var t = new bool[0x100];
        for (int op = 0; op < t.Length; op++)
            t[op] = CostOf((ushort)op) == 1 && !ChecksFuel((ushort)op) && op is not (0x00 or 0x04 or 0x0C or 0x0D or 0x0E or 0x0F);
        return t;
    }

    /// <summary>Tests only: false makes <see cref="For"/> take its general path for every instruction (the plan must not change).</summary>
    internal static bool PlainRuns = true;

    /// <summary>Whether For may only count <paramref name="op"/> (see <see cref="PlainOps"/>); prefixed opcodes other than those that check fuel are plain.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static bool IsPlain(ushort op) => IsPlain(PlainOps, op);

    /// <summary><see cref="IsPlain(ushort)"/> with <see cref="PlainOps"/> held by the caller (For's loop: precompiled code reads a static through a helper call).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool IsPlain(bool[] plainOps, ushort op) => op < 0x100 ? plainOps[op] : (uint)(op - 0xFC08) > 0xFC11 - 0xFC08;

    /// <summary>
    /// The last index of the run of plain instructions that starts at <paramref name="pc"/> (itself plain). A method of its
    /// own: in For's loop, with its many live values, the run's locals were reloaded from the stack (19 x64 instructions per
    /// instruction of the run as precompiled; here 14).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int PlainRunEnd(Instr[] code, int pc, bool[] plainOps)
    {
        int run = pc + 1;
        while ((uint)run < (uint)code.Length && IsPlain(plainOps, code[run].Op)) run++;
        return run - 1;
    }

    /// <summary>An open block, loop or if.</summary>
    private struct OpenBlock
    {
        /// <summary>Index of its block, loop or if instruction.</summary>
        public int Pc;

        /// <summary>
        /// The first of the join predecessors that branch to its end (a node of <see cref="Scratch.PredStart"/> and
        /// <see cref="Scratch.PredNext"/>, -1 none), or -2 when its end is also reached otherwise (br_if, br_table, a
        /// predecessor that cannot take the charge).
        /// </summary>
        public int Preds;

        /// <summary>Whether it is a loop.</summary>
        public bool Loop;
    }

    /// <summary>
    /// A plan's working arrays, reused by the thread's next plan (one thread-static read per plan). Every element
    /// For reads it wrote first in the same plan, so nothing is cleared between plans.
    /// </summary>
    private sealed class Scratch
    {
        /// <summary>Arrays grown past this many elements are not kept for the thread.</summary>
        public const int MaxKept = 4096;

        public OpenBlock[] Open = new OpenBlock[64];

        /// <summary>Join predecessor lists: node n is the block starting at PredStart[n], the next node PredNext[n] (-1 none).</summary>
        public int[] PredStart = new int[16], PredNext = new int[16];

        public int PredCount;

        /// <summary>The current block's <c>br</c> to a loop (-1 none) and that loop's header block (see <see cref="Close"/>).</summary>
        public int BackEdge, Header;

        /// <summary>The join predecessors of the current block and of the block starting after the current instruction (-1 none).</summary>
        public int Join, NextJoin;

        /// <summary>Adds a node before <paramref name="next"/>; returns its index.</summary>
        public int AddPred(int start, int next)
        {
            if (PredCount == PredStart.Length)
            {
                Array.Resize(ref PredStart, PredCount * 2);
                Array.Resize(ref PredNext, PredCount * 2);
            }
            PredStart[PredCount] = start;
            PredNext[PredCount] = next;
            return PredCount++;
        }
    }

    [ThreadStatic] private static Scratch? _scratch;

    /// <summary>Plans a validated function body (its final <c>end</c> included); <paramref name="tables"/> is its <see cref="FunctionBody.Tables"/>.</summary>
    /// <remarks>
    /// One pass: whether instruction pc + 1 starts a block depends only on instructions up to pc, and a
    /// block's charge is final (and its check decided, in order) when the next block starts.
    /// </remarks>
    public static FuelPlan For(Instr[] code, uint[][] tables)
    {
        var check = new bool[code.Length + 1];
        var cost = new int[code.Length];
        int[]? edge = null;
        check[0] = true;
        var s = _scratch;
        if (s == null) _scratch = s = new Scratch();
        s.PredCount = 0;
        s.BackEdge = s.Header = s.Join = s.NextJoin = -1;
        var blocks = s.Open;
        int open = 0;
        // The current block starts at instruction current; counting: its instructions run (no br, br_table, return
        // or unreachable before); calls: one of them checks fuel.
        bool counting = true, calls = false;
        int current = 0, sinceCheck = 0;
        // Rarely used state (the back edge, the joins) is in s: fewer values for the loop to keep in registers.
        var plainOps = PlainRuns ? PlainOps : null;
        for (int pc = 0; pc < code.Length; pc++)
        {
            ushort op = code[pc].Op;
            if (plainOps != null && IsPlain(plainOps, op))
            {
                // Most instructions: counted, and the next one does not start a block (the general path's outcome
                // for them). A run of them is counted at once.
                int run = PlainRunEnd(code, pc, plainOps);
                if (counting) cost[current] += run - pc + 1;
                pc = run;
                continue;
            }
            if (counting)
            {
                cost[current] += CostOf(op);
                calls |= ChecksFuel(op);
            }
            // Whether instruction pc + 1 starts a block.
            bool start = false;
            switch (op)
            {
                case 0x0C when counting:
                {
                    counting = false; // what follows up to the next block start never runs
                    if (code[pc].Imm >= open) break;
                    ref var target = ref blocks[open - 1 - (int)code[pc].Imm];
                    if (target.Loop)
                    {
                        // An unconditional branch to an enclosing loop whose header block is not this one.
                        if (!calls && target.Pc + 1 != current)
                        {
                            s.BackEdge = pc;
                            s.Header = target.Pc + 1;
                        }
                    }
                    // A forward br to a block's end: a join predecessor if it can take the charge; any other branch
                    // to a block's end makes that end an ordinary label.
                    else if (calls || check[current] || target.Preds == -2) target.Preds = -2;
                    else target.Preds = s.AddPred(current, target.Preds);
                    break;
                }
                case 0x0D: // both ways continue
                    start = true;
                    if (code[pc].Imm < open) blocks[open - 1 - (int)code[pc].Imm].Preds = -2;
                    break;
                case 0x0E:
                    counting = false;
                    foreach (uint l in tables[code[pc].Imm])
                        if (l < open) blocks[open - 1 - (int)l].Preds = -2;
                    break;
                case 0x0F or 0x00: // return, unreachable
                    counting = false;
                    break;
                case 0x02 or 0x03 or 0x04:
                    if (open == blocks.Length) s.Open = blocks = Grown(blocks);
                    ref var b = ref blocks[open++];
                    b.Pc = pc;
                    // An if's end is also reached from its condition (no else) or the then arm's end.
                    b.Preds = op == 0x02 ? -1 : -2;
                    b.Loop = op == 0x03;
                    if (op == 0x03) start = check[pc + 1] = true; // loop header: every iteration comes back here
                    else start = op == 0x04; // if: both ways continue
                    break;
                case 0x05: // else
                    start = true;
                    break;
                case 0x0B:
                    // The end of a block or if is a branch target; the end of a loop is not.
                    if (open > 0 && !blocks[--open].Loop)
                    {
                        start = true;
                        // Reached only by the recorded branches: nothing falls through into this end.
                        if (!counting && blocks[open].Preds >= 0) s.NextJoin = blocks[open].Preds;
                    }
                    break;
            }
            // The current block's charge is final when the next one starts (after the last instruction: below).
            if (start && pc + 1 < code.Length)
            {
                Close(current, cost, check, ref sinceCheck, ref edge, s);
                current = pc + 1;
                s.Join = s.NextJoin;
                s.NextJoin = -1;
                counting = true;
                calls = false;
                s.BackEdge = s.Header = -1;
            }
        }
        if (code.Length > 0) Close(current, cost, check, ref sinceCheck, ref edge, s);
        if (s.Open.Length > Scratch.MaxKept || s.PredStart.Length > Scratch.MaxKept) _scratch = null;
        return new FuelPlan(cost, check, edge);
    }

    private static OpenBlock[] Grown(OpenBlock[] blocks)
    {
        var grown = new OpenBlock[blocks.Length * 2];
        blocks.AsSpan().CopyTo(grown);
        return grown;
    }

    /// <summary>
    /// A block's charge is final: moved to its back edge <see cref="Scratch.BackEdge"/> (with the charge of the
    /// loop's header block <see cref="Scratch.Header"/>) when it has one and is not checked at its start, else
    /// checked when the plan says so or when the straight-line run since the last check reaches
    /// <see cref="CheckInterval"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Close(int block, int[] cost, bool[] check, ref int sinceCheck, ref int[]? edge, Scratch s)
    {
        if (s.BackEdge >= 0 && !check[block])
        {
            MoveToBackEdge(block, cost, check, ref edge, s);
            sinceCheck = 0;
            return;
        }
        sinceCheck += cost[block];
        if (check[block] || sinceCheck >= CheckInterval)
        {
            check[block] = true;
            sinceCheck = 0;
        }
    }

    /// <summary><see cref="Close"/> for a block charged at its back edge (a method of its own: few blocks are).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void MoveToBackEdge(int block, int[] cost, bool[] check, ref int[]? edge, Scratch s)
    {
        int backEdge = s.BackEdge, header = s.Header, join = s.Join;
        // The header block closed before this one started (it is not this one), so its charge is final.
        edge ??= new int[cost.Length];
        edge[backEdge] = cost[block] + cost[header];
        // A join (see the type's remarks): every predecessor closed before this block started, so whether
        // it is checked at its start is final; each one takes the charge at its start.
        bool shared = join >= 0;
        for (int n = join; n >= 0 && shared; n = s.PredNext[n]) shared = !check[s.PredStart[n]];
        if (shared)
        {
            for (int n = join; n >= 0; n = s.PredNext[n]) cost[s.PredStart[n]] += edge[backEdge];
            edge[backEdge] = CheckOnly;
        }
        cost[block] = 0;
    }
}
