using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Which functions of a module count call depth: those that can be re-entered while they are active.
/// <para>A defined function <em>counts</em> (adds one to <see cref="Runtime.ExecState.Depth"/> on entry and
/// checks it against the limit) when it lies on a cycle of direct calls — a strongly connected component
/// of the direct-call graph with two or more functions, or a function calling itself — or when it makes a
/// call whose target is not known at compile time (<c>call_indirect</c>, or a call to an import, which may
/// call back into any export). Every cycle of calls at run time either consists of direct calls only
/// (then all its functions are in one component and count) or takes at least one unknown edge (whose
/// calling function counts), so each trip around any cycle adds at least one to the depth and unbounded
/// recursion traps "call stack exhausted" at <see cref="WasmLimits.MaxCallDepth"/>. Between two counting
/// frames there can only be an acyclic chain of non-counting ones (at most one frame per function of the
/// module); every frame that makes calls, counting or not, also checks the native stack on entry (a leaf with a
/// small frame does not: FunctionCompiler.Compile).</para>
/// <para>The depth is restored by the caller after a call that may have changed it (a counting callee
/// does not decrement on return): a sequence of sibling calls then carries no dependency from one call's
/// depth update to the next one's through memory, which in a call-heavy kernel was a store-to-load
/// forwarding chain costing more than the rest of the call.</para>
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal sealed class CallGraph
{
    /// <summary>Per defined function: counts call depth on entry.</summary>
    public readonly bool[] Counts;

    /// <summary>Per defined function: contains a call after which the depth must be restored (to a counting function, or an unknown target).</summary>
    public readonly bool[] Restores;

    /// <summary>
    /// Per defined function: no run of it changes the call depth, even one that traps — it does not count, calls
    /// no unknown target, and calls only such functions. A host entry into it has no depth to restore.
    /// </summary>
    public readonly bool[] Neutral;

    /// <summary>
    /// Per defined function: what the compiler's prologue needs from a pass over the body, gathered by the pass
    /// that finds the calls (one walk over each body instead of three).
    /// </summary>
    public readonly BodyScan[] Scans;

    /// <summary>One body's instructions that the prologue and the plans depend on.</summary>
    internal struct BodyScan
    {
        /// <summary>Scalar loads and stores (opcodes 0x28-0x3E), for PlanCover.</summary>
        public int ScalarAccesses;
        /// <summary>Whether the body has a loop, for PlanCover.</summary>
        public bool HasLoop;
        /// <summary>Whether the body calls itself directly.</summary>
        public bool CallsSelf;
        /// <summary>Whether the body makes a call (call, call_indirect).</summary>
        public bool MakesCalls;
        /// <summary>Whether the body has only structural instructions, which charge no fuel (<see cref="FuelPlan.CostOf"/>).</summary>
        public bool Free;
        /// <summary>Index of the first memory access (scalar or SIMD load or store), of the first i32 and of the first i64 rotate (or clz/ctz of an or); -1 for none.</summary>
        public int FirstMemory, FirstRotate32, FirstRotate64;
    }

    /// <summary>What the scan of <see cref="Of"/> does for an instruction.</summary>
    private enum Kind : byte
    {
        /// <summary>Costs fuel, nothing else to note.</summary>
        Other,
        /// <summary>Free of fuel (<see cref="FuelPlan.CostOf"/>) and of no other interest.</summary>
        Structural,
        Loop,
        Memory,
        Call,
        CallIndirect,
        Rotate32,
        /// <summary>i32.clz or i32.ctz: noted when it counts the result of an i32.or.</summary>
        Count32,
        Rotate64,
        Count64,
        Simd,
    }

    // Kind of each opcode below 0x100.
    private static readonly Kind[] Kinds = BuildKinds();

    private static Kind[] BuildKinds()
    {
        var t = new Kind[0x100];
        for (int op = 0; op < t.Length; op++)
        {
            t[op] = op switch
            {
                0x03 => Kind.Loop,
                >= 0x28 and <= 0x3E => Kind.Memory,
                0x10 => Kind.Call,
                0x11 => Kind.CallIndirect,
                0x77 or 0x78 => Kind.Rotate32,
                0x67 or 0x68 => Kind.Count32,
                0x89 or 0x8A => Kind.Rotate64,
                0x79 or 0x7A => Kind.Count64,
                _ => FuelPlan.CostOf((ushort)op) == 0 ? Kind.Structural : Kind.Other,
            };
        }
        return t;
    }

    private CallGraph(bool[] counts, bool[] restores, bool[] neutral, BodyScan[] scans)
    {
        Counts = counts;
        Restores = restores;
        Neutral = neutral;
        Scans = scans;
    }

    /// <summary>Analyses a validated module's function bodies.</summary>
    public static CallGraph Of(WasmModule m)
    {
        int n = m.Functions.Count, imported = m.ImportedFunctionCount;
        // Direct-call edges between defined functions in one array, each function's from first[f] to first[f + 1].
        var counts = new bool[n];
        var first = new int[n + 1];
        var targets = new int[Math.Max(16, n)];
        int edgeCount = 0;
        var scans = new BodyScan[n];
        for (int f = 0; f < n; f++)
        {
            var body = m.Bodies[f];
            var code = body.Code;
            ref var scan = ref scans[f];
            if (body.Facts is { } facts)
            {
                // Validated: the validator's walk gathered what the scan below finds.
                scan = FromFacts(facts, code, f, imported, counts, ref targets, ref edgeCount);
                first[f + 1] = edgeCount;
                continue;
            }
            int accesses = 0, firstMemory = -1, firstRotate32 = -1, firstRotate64 = -1;
            bool hasLoop = false, callsSelf = false, makesCalls = false, free = true;
            var kinds = Kinds;
            for (int pc = 0; pc < code.Length; pc++)
            {
                // Most instructions are of no interest here except that they cost fuel: a tight loop passes them.
                int other = pc;
                ushort op;
                Kind kind;
                while ((kind = (op = code[pc].Op) < 0x100 ? kinds[op] : op >= 0xFD00 ? Kind.Simd : Kind.Other) == Kind.Other && ++pc < code.Length) { }
                if (pc != other || kind == Kind.Other) free = false;
                if (pc == code.Length) break;
                ref readonly var ins = ref code[pc];
                switch (kind)
                {
                    case Kind.Other:
                        break;
                    case Kind.Structural:
                        break;
                    case Kind.Loop:
                        hasLoop = true;
                        break;
                    case Kind.Memory:
                        free = false;
                        accesses++;
                        if (firstMemory < 0) firstMemory = pc;
                        break;
                    case Kind.CallIndirect:
                        free = false;
                        counts[f] = makesCalls = true;
                        break;
                    case Kind.Call:
                    {
                        free = false;
                        makesCalls = true;
                        AddCall(ins.Imm - imported, f, counts, ref callsSelf, ref targets, ref edgeCount);
                        break;
                    }
                    // The rotate masks also make the shift counts of clz/ctz of an or opaque (FunctionCompiler.Numeric.cs, TryCountOfOr).
                    case Kind.Rotate32 or Kind.Count32:
                        free = false;
                        if (firstRotate32 < 0 && (kind == Kind.Rotate32 || pc > 0 && code[pc - 1].Op == 0x72)) firstRotate32 = pc;
                        break;
                    case Kind.Rotate64 or Kind.Count64:
                        free = false;
                        if (firstRotate64 < 0 && (kind == Kind.Rotate64 || pc > 0 && code[pc - 1].Op == 0x84)) firstRotate64 = pc;
                        break;
                    case Kind.Simd:
                        free = false;
                        if (firstMemory < 0 && SimdOpInfo.IsMemory((uint)op & 0xFF)) firstMemory = pc;
                        break;
                }
            }
            scan = new BodyScan
            {
                ScalarAccesses = accesses, HasLoop = hasLoop, CallsSelf = callsSelf, MakesCalls = makesCalls, Free = free,
                FirstMemory = firstMemory, FirstRotate32 = firstRotate32, FirstRotate64 = firstRotate64,
            };
            first[f + 1] = edgeCount;
        }
        // A call to an unknown target or to itself: the depth changes across that call.
        var restores = (bool[])counts.Clone();
        var component = Components(first, targets);
        // A component of two or more functions is a cycle of calls.
        var size = new int[n];
        foreach (int c in component) size[c]++;
        for (int f = 0; f < n; f++)
            if (size[component[f]] > 1) counts[f] = true;
        for (int f = 0; f < n; f++)
            for (int e = first[f]; e < first[f + 1] && !restores[f]; e++)
                restores[f] = counts[targets[e]];
        // Components close callees first (all a component reaches is closed before it), so in component order
        // every callee outside a function's own component is decided before the function.
        var byComponent = new int[n];
        var start = new int[n + 1];
        foreach (int c in component) start[c + 1]++;
        for (int c = 0; c < n; c++) start[c + 1] += start[c];
        var fill = (int[])start.Clone();
        for (int f = 0; f < n; f++) byComponent[fill[component[f]]++] = f;
        var neutral = new bool[n];
        foreach (int f in byComponent)
        {
            bool ok = !counts[f];
            for (int e = first[f]; ok && e < first[f + 1]; e++) ok = neutral[targets[e]];
            neutral[f] = ok;
        }
        return new CallGraph(counts, restores, neutral, scans);
    }

    /// <summary>
    /// A direct call from defined function <paramref name="f"/> to <paramref name="callee"/> (a defined-function index,
    /// negative for an import): an import or <paramref name="f"/> itself makes <paramref name="f"/> count calls, any other
    /// callee is an edge of the graph.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void AddCall(long callee, int f, bool[] counts, ref bool callsSelf, ref int[] targets, ref int edgeCount)
    {
        if (callee < 0 || callee == f)
        {
            counts[f] = true;
            callsSelf |= callee == f;
        }
        else
        {
            if (edgeCount == targets.Length) Array.Resize(ref targets, 2 * edgeCount);
            targets[edgeCount++] = (int)callee;
        }
    }

    /// <summary>
    /// <see cref="Of"/>'s scan of function <paramref name="f"/>'s body from the validator's facts: the same scan result,
    /// the same edges in the same order, and the same calls making <paramref name="f"/> count.
    /// </summary>
    private static BodyScan FromFacts(in BodyFacts facts, Instr[] code, int f, int imported, bool[] counts, ref int[] targets, ref int edgeCount)
    {
        bool callsSelf = false;
        if (facts.CallsIndirect) counts[f] = true;
        foreach (int function in facts.Calls)
        {
            AddCall(function - (long)imported, f, counts, ref callsSelf, ref targets, ref edgeCount);
        }
        // Free: only structural instructions (nop block loop else end), which charge no fuel; the first other one
        // (most often the body's first instruction) decides.
        bool free = true;
        foreach (ref readonly var ins in code.AsSpan())
        {
            if (FuelPlan.CostOf(ins.Op) != 0)
            {
                free = false;
                break;
            }
        }
        return new BodyScan
        {
            ScalarAccesses = facts.ScalarAccesses, HasLoop = facts.HasLoop, CallsSelf = callsSelf,
            MakesCalls = facts.CallsIndirect || facts.Calls.Length > 0, Free = free,
            FirstMemory = facts.FirstMemory, FirstRotate32 = facts.FirstRotate32, FirstRotate64 = facts.FirstRotate64,
        };
    }

    /// <summary>
    /// Strongly connected components (Tarjan's algorithm, iterative: a module may have thousands of
    /// functions in one call chain, deeper than a recursive walk should go on the caller's stack) of the
    /// graph whose node <c>v</c> has the edges <c>targets[first[v]..first[v + 1]]</c>. Returns each node's
    /// component number (components numbered from 0 in the order they close).
    /// </summary>
    internal static int[] Components(int[] first, int[] targets)
    {
        int n = first.Length - 1, next = 0, components = 0;
        var index = new int[n];
        var low = new int[n];
        var component = new int[n];
        Array.Fill(index, -1);
        Array.Fill(component, -1);
        // Tarjan's stack, and the walk's stack of (node, next edge to follow): each holds a node at most once.
        var stack = new int[n];
        var workNode = new int[n];
        var workEdge = new int[n];
        int sp = 0, wp = 0;
        for (int root = 0; root < n; root++)
        {
            if (index[root] >= 0) continue;
            workNode[wp] = root;
            workEdge[wp++] = first[root];
            index[root] = low[root] = next++;
            stack[sp++] = root;
            while (wp > 0)
            {
                int v = workNode[wp - 1], e = workEdge[wp - 1];
                if (e < first[v + 1])
                {
                    workEdge[wp - 1] = e + 1;
                    int w = targets[e];
                    if (index[w] < 0)
                    {
                        index[w] = low[w] = next++;
                        stack[sp++] = w;
                        workNode[wp] = w;
                        workEdge[wp++] = first[w];
                    }
                    else if (component[w] < 0)
                    {
                        // w is on Tarjan's stack (visited, its component not closed yet).
                        low[v] = Math.Min(low[v], index[w]);
                    }
                    continue;
                }
                // v is finished: pass its low link to its parent, or close its component.
                wp--;
                if (wp > 0)
                {
                    int parent = workNode[wp - 1];
                    low[parent] = Math.Min(low[parent], low[v]);
                }
                if (low[v] == index[v])
                {
                    int w;
                    do
                    {
                        w = stack[--sp];
                        component[w] = components;
                    } while (w != v);
                    components++;
                }
            }
        }
        return component;
    }
}
