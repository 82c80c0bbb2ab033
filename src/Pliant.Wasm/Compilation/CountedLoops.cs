using System.Reflection.Emit;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// A counting loop whose fuel can be charged once, at its entry (<see cref="FunctionCompiler"/>, versioned loops):
/// the shapes clang emits for counted <c>for</c> loops, a straight-line body ending
/// <c>local.get i; const s; add; local.tee i; [const n | local.get n; ne | lt_u | lt_s;] br_if 0</c> (without the
/// bracketed part: exit when i reaches 0), i32 or i64, the step a constant, the bound a constant or a local the loop
/// never writes. Every iteration runs the whole body, which is one basic block charged <see cref="Cost"/> units at
/// the header, so t iterations cost exactly t × <see cref="Cost"/> and, metered, trap "fuel exhausted" iff that
/// exceeds the fuel at entry (each header checks). The number of iterations follows from i and n at entry with
/// wasm's wrap-around arithmetic (<see cref="Kind"/>).
/// </summary>
internal readonly struct CountedLoop
{
    /// <summary>Most instructions in a versioned loop's body: each is emitted twice.</summary>
    public const int MaxBody = 64;

    /// <summary>For tests: set on a thread, its compilations version no loop (the reference the versioned code must match).</summary>
    [ThreadStatic] internal static bool Disabled;

    /// <summary>For tests: loops versioned by this thread's compilations so far.</summary>
    [ThreadStatic] internal static int Versioned;

    /// <summary>How the loop exits: when <c>i == n</c> (<c>ne</c>, or the bare tee with n = 0), or when <c>i</c> is no longer below n.</summary>
    public enum Test : byte { Ne, LtU, LtS }

    /// <summary>The <c>loop</c> instruction's index, and its <c>end</c>'s.</summary>
    public readonly int Loop, End;
    /// <summary>The counter's local, and the bound's (-1 when it is the constant <see cref="BoundConst"/>).</summary>
    public readonly int Counter, Bound;
    public readonly long BoundConst, Step;
    public readonly Test Kind;
    /// <summary>An i64 counter (else i32).</summary>
    public readonly bool Wide;
    /// <summary>Fuel charged per iteration (the header block's charge, which is the whole body).</summary>
    public readonly int Cost;

    private CountedLoop(int loop, int end, int counter, int bound, long boundConst, long step, Test kind, bool wide, int cost)
    {
        (Loop, End, Counter, Bound, BoundConst, Step, Kind, Wide, Cost) = (loop, end, counter, bound, boundConst, step, kind, wide, cost);
    }

    /// <summary>True for the instructions a versioned body may not contain: control flow, calls, and what charges fuel by itself.</summary>
    private static bool Disallowed(ushort op) => op is <= 0x13 and not 0x01 || op == 0x40 || op is >= 0xFC08 and <= 0xFC11;

    /// <summary>
    /// The counting loop at <paramref name="pc"/> (a <c>loop</c>) when it has one of the shapes above, its body is at most
    /// <see cref="MaxBody"/> instructions and <paramref name="plan"/> charges it as one block checked at the header.
    /// </summary>
    public static bool TryMatch(Instr[] code, int pc, in FuelPlan plan, ValType[] localTypes, out CountedLoop loop)
    {
        loop = default;
        if (code[pc].Imm != -64) return false; // no parameters, no results
        int end = -1;
        for (int i = pc + 1; i < code.Length && i <= pc + MaxBody + 1; i++)
        {
            ushort op = code[i].Op;
            if (op == 0x0B) { end = i; break; }
            if (Disallowed(op) && !(op == 0x0D && code[i].Imm == 0 && i + 1 < code.Length && code[i + 1].Op == 0x0B)) return false;
        }
        // The shortest shape: local.get; const; add; local.tee; br_if.
        if (end < pc + 6 || code[end - 1].Op != 0x0D) return false;
        int tee = end - 2;
        Test kind = Test.Ne;
        int bound = -1;
        long boundConst = 0;
        bool wide = false;
        ushort test = code[end - 2].Op;
        if (test is 0x47 or 0x48 or 0x49 or 0x52 or 0x53 or 0x54)
        {
            wide = test >= 0x52;
            kind = test is 0x47 or 0x52 ? Test.Ne : test is 0x49 or 0x54 ? Test.LtU : Test.LtS;
            ref readonly var n = ref code[end - 3];
            if (n.Op == (wide ? 0x42 : 0x41)) boundConst = n.Imm;
            else if (n.Op == 0x20) bound = (int)n.Imm;
            else return false;
            tee = end - 4;
        }
        if (tee - 3 <= pc || code[tee].Op != 0x22 || code[tee - 1].Op != (wide ? 0x7C : 0x6A) || code[tee - 2].Op != (wide ? 0x42 : 0x41)
            || code[tee - 3].Op != 0x20 || code[tee - 3].Imm != code[tee].Imm) return false;
        int counter = (int)code[tee].Imm;
        long step = wide ? code[tee - 2].Imm : (int)code[tee - 2].Imm;
        if (localTypes[counter] != (wide ? ValType.I64 : ValType.I32) || bound == counter || step == 0) return false;
        if (bound >= 0 && localTypes[bound] != localTypes[counter]) return false;
        // Lt tests count up: a positive step (under half the range).
        if (kind != Test.Ne && step <= 0) return false;
        // The counter is written only by the tail's tee, the bound never.
        for (int i = pc + 1; i < end; i++)
            if (code[i].Op is 0x21 or 0x22 && (code[i].Imm == counter && i != tee || code[i].Imm == bound)) return false;
        // One block, charged and checked at the header, nothing else charged or checked inside.
        int cost = plan.Cost[pc + 1];
        if (cost <= 0 || !plan.Check[pc + 1]) return false;
        for (int i = pc + 2; i < end; i++)
            if (plan.Cost[i] != 0 || plan.Check[i]) return false;
        loop = new CountedLoop(pc, end, counter, bound, boundConst, step, kind, wide, cost);
        return true;
    }

    /// <summary>
    /// For an <see cref="Test.Ne"/> loop: the step's number of trailing zero bits a (the step is odd · 2^a) and the
    /// inverse of its odd part modulo 2^64. s · t ≡ d (mod 2^w) has a solution iff 2^a divides d, and then exactly one
    /// t in [1, 2^(w−a)]: t ≡ (d / 2^a) · inverse (mod 2^(w−a)).
    /// </summary>
    public void StepInverse(out int a, out ulong inverse)
    {
        ulong s = Wide ? (ulong)Step : (uint)Step;
        a = System.Numerics.BitOperations.TrailingZeroCount(s);
        ulong odd = s >> a, x = odd; // x·odd ≡ 1 mod 2^3 (odd² ≡ 1 mod 8); each Newton step doubles the bits
        for (int i = 0; i < 5; i++) x *= 2 - odd * x;
        inverse = x;
    }
}

/// <summary>Versioned counting loops: the fuel of a <see cref="CountedLoop"/> charged once at its entry.</summary>
internal sealed partial class FunctionCompiler
{
    // The iteration count minus one at a versioned loop's entry, declared at the first such loop.
    private LocalBuilder? _trips;

    /// <summary>
    /// At a <c>loop</c> (live, metered, not in an inlined copy) that is a <see cref="CountedLoop"/>: emits its entry test, a
    /// metered copy and an unmetered copy, and moves <paramref name="pc"/> to its <c>end</c>; false (nothing emitted) otherwise.
    /// </summary>
    /// <remarks>
    /// <code>
    ///   [the loop instruction's prologue: a charge of a block starting there, deferred entries to their slots]
    ///   t = iterations from i and n (modular: see CountedLoop), or go to M when the count is not exact and cheap
    ///   if (t × cost > fuel) go to M
    ///   fuel -= t × cost
    ///   the loop with no charge or check inside, then the end's block charge; go to J
    /// M: the loop, metered as always (its header charges and checks every iteration), then the end's block charge
    /// J:
    /// </code>
    /// Both copies run the same iterations; the unmetered one leaves exactly the fuel M would (t × cost less), and runs
    /// only when M would not run out, so the trap point does not move either: when the fuel does not cover the loop, M runs and
    /// traps where it always did. A trap of another kind in the unmetered copy leaves the fuel as approximate as it is anyway
    /// (the fuel local is not published at traps; docs/plugin-abi.md §8.2). The compiler's facts are saved before
    /// the first copy and restored for the second, so both are compiled from the same state. The copies share their
    /// operand-stack slot locals (giving one copy locals of its own cost the bits and memcopy loops a register move
    /// per iteration in the JIT's allocation, though it saved int_math's unmetered loop a spill).
    /// </remarks>
    private bool TryEmitVersionedLoop(Instr[] code, ref int pc)
    {
        if (CountedLoop.Disabled || !CountedLoop.TryMatch(code, pc, in _fuelPlan, _localTypes, out var loop)) return false;
        CountedLoop.Versioned++;
        int start = pc, end = loop.End;
        EmitPrologueAt(code, start, meter: true);
        var metered = _il.DefineLabel();
        var join = _il.DefineLabel();
        EmitTripCount(in loop, metered);
        EmitChargeAtEntry(in loop, metered);
        // The unmetered copy first: the path that fits falls through to it.
        var saved = SaveFacts();
        _root._fuelSynced = false;
        EmitInstrAt(code, start);
        for (int i = start + 1; i < end; i++) EmitAt(code, i, meter: false);
        EmitAt(code, end, meter: true); // the block after the loop starts at its end: charged in both copies
        _il.Emit(OpCodes.Br, join);
        RestoreFacts(saved);
        _il.MarkLabel(metered);
        _root._fuelSynced = false;
        EmitInstrAt(code, start);
        for (int i = start + 1; i <= end; i++) EmitAt(code, i, meter: true);
        _il.MarkLabel(join);
        _root._fuelSynced = false;
        pc = end;
        return true;
    }

    /// <summary>
    /// Pushes local <paramref name="local"/> (or <paramref name="constant"/> when it is -1), an i32 widened to 64 bits
    /// when <paramref name="widen"/> is set (<c>conv.i8</c> or <c>conv.u8</c> after <paramref name="widen"/>'s signedness).
    /// </summary>
    private void LdCounting(in CountedLoop loop, int local, long constant, bool? widen = null)
    {
        if (local >= 0) LdLocal(local);
        else if (loop.Wide) _il.Emit(OpCodes.Ldc_I8, constant);
        else _il.Emit(OpCodes.Ldc_I4, (int)constant);
        if (!loop.Wide && widen is bool signed) _il.Emit(signed ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
    }

    /// <summary>
    /// Stores the loop's iteration count minus one into <see cref="_trips"/> (an unsigned 64-bit value; the count
    /// may be 2^64), or branches to <paramref name="metered"/> when it is not exact and cheap to compute: an
    /// <c>lt</c> loop whose counter could wrap after its first step (n within a step of the type's maximum), or a
    /// <c>ne</c> loop that never meets n.
    /// </summary>
    private void EmitTripCount(in CountedLoop loop, Label metered)
    {
        var il = _il;
        var trips = _trips ??= Declare(typeof(long));
        int counter = loop.Counter, bound = loop.Bound;
        long n = loop.BoundConst;
        if (loop.Kind == CountedLoop.Test.Ne)
        {
            // Iteration t leaves i0 + t·s (mod 2^w): the count is the least t >= 1 with s·t ≡ n - i0 (mod 2^w).
            int w = loop.Wide ? 64 : 32;
            loop.StepInverse(out int a, out ulong inverse);
            LdCounting(in loop, bound, n);
            LdCounting(in loop, counter, 0);
            il.Emit(OpCodes.Sub);
            if (!loop.Wide) il.Emit(OpCodes.Conv_U8); // d = n - i0 mod 2^32, zero-extended
            if (a > 0)
            {
                // No solution when 2^a does not divide d (the counter steps over n forever): metered, where fuel ends it.
                Stloc(trips);
                Ldloc(trips);
                il.Emit(OpCodes.Ldc_I8, (1L << a) - 1);
                il.Emit(OpCodes.And);
                il.Emit(OpCodes.Brtrue, metered);
                Ldloc(trips);
                il.Emit(OpCodes.Ldc_I4, a);
                il.Emit(OpCodes.Shr_Un);
            }
            // t - 1 = (d / 2^a · inverse - 1) mod 2^(w - a): a product of 0 mod 2^(w-a) is t = 2^(w-a) (i0 = n at entry).
            il.Emit(OpCodes.Ldc_I8, (long)inverse);
            il.Emit(OpCodes.Mul);
            il.Emit(OpCodes.Ldc_I4_1);
            il.Emit(OpCodes.Conv_I8);
            il.Emit(OpCodes.Sub);
            if (w - a < 64)
            {
                il.Emit(OpCodes.Ldc_I8, (long)((1UL << (w - a)) - 1));
                il.Emit(OpCodes.And);
            }
            Stloc(trips);
            return;
        }
        // i < n (unsigned or signed), s > 0: the first step may wrap (clang starts i at -4 to reach 12), giving i1;
        // with n at most max - s no later step wraps, so the loop runs once more per step below n after i1:
        // t - 1 = ceil((n - i1) / s) when i1 < n, else 0.
        bool signed = loop.Kind == CountedLoop.Test.LtS;
        long limit = loop.Wide
            ? (signed ? long.MaxValue - loop.Step : (long)(ulong.MaxValue - (ulong)loop.Step))
            : (signed ? int.MaxValue - loop.Step : uint.MaxValue - loop.Step);
        LdCounting(in loop, bound, n, signed);
        il.Emit(OpCodes.Ldc_I8, limit);
        il.Emit(signed ? OpCodes.Bgt : OpCodes.Bgt_Un, metered);
        var once = il.DefineLabel();
        var done = il.DefineLabel();
        // i1 = i0 + s, wrapping in the counter's width
        LdCounting(in loop, counter, 0);
        if (loop.Wide) il.Emit(OpCodes.Ldc_I8, loop.Step);
        else il.Emit(OpCodes.Ldc_I4, (int)loop.Step);
        il.Emit(OpCodes.Add);
        if (!loop.Wide) il.Emit(signed ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
        Stloc(trips);
        Ldloc(trips);
        LdCounting(in loop, bound, n, signed);
        il.Emit(signed ? OpCodes.Bge : OpCodes.Bge_Un, once);
        LdCounting(in loop, bound, n, signed);
        Ldloc(trips);
        il.Emit(OpCodes.Sub); // exact in 64 bits: 0 < n - i1 < 2^64 - s
        il.Emit(OpCodes.Ldc_I8, loop.Step - 1);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Ldc_I8, loop.Step);
        il.Emit(OpCodes.Div_Un);
        Stloc(trips);
        il.Emit(OpCodes.Br, done);
        il.MarkLabel(once);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Conv_I8);
        Stloc(trips);
        il.MarkLabel(done);
    }

    /// <summary>
    /// With <see cref="_trips"/> = t - 1: when t × cost ≤ fuel, subtracts it and falls through; else branches to
    /// <paramref name="metered"/>. An i32 loop runs at most 2^32 times, so t × cost (cost ≤ 64) fits a signed compare;
    /// an i64 one compares t - 1 &lt; fuel / cost unsigned, for fuel ≥ 0 (t may be up to 2^64).
    /// </summary>
    private void EmitChargeAtEntry(in CountedLoop loop, Label metered)
    {
        var il = _il;
        var trips = _trips!;
        if (loop.Wide)
        {
            BranchOnFuel(OpCodes.Blt, metered);
            Ldloc(trips);
            Ldloc(_fuel!);
            il.Emit(OpCodes.Ldc_I8, (long)loop.Cost);
            il.Emit(OpCodes.Div_Un);
            il.Emit(OpCodes.Bge_Un, metered);
        }
        // trips = t × cost
        Ldloc(trips);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Conv_I8);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Ldc_I8, (long)loop.Cost);
        il.Emit(OpCodes.Mul);
        Stloc(trips);
        if (!loop.Wide)
        {
            Ldloc(trips);
            Ldloc(_fuel!);
            il.Emit(OpCodes.Bgt, metered);
        }
        _root._fuelSynced = false;
        Ldloc(_fuel!);
        Ldloc(trips);
        il.Emit(OpCodes.Sub);
        Stloc(_fuel!);
    }

    /// <summary>The facts about locals (FunctionCompiler.Bounds.cs, .Lazy.cs) a loop's compilation changes.</summary>
    private sealed class SavedFacts
    {
        public int Gen, FactHead, FactTail, FactCount, SumCount, LoopScanBudget;
        public ulong[]? LocalBound;
        public long[]? LocalLo, LocalHi;
        public int[]? LocalGen, FactPrev, FactNext;
        public bool[]? FactIn;
        public KnownSum[]? Sums;
        public (int Local, long Lo, long Hi, int From, int To)[] Inductions = [];
    }

    private SavedFacts SaveFacts() => new()
    {
        Gen = _gen, FactHead = _factHead, FactTail = _factTail, FactCount = _factCount, SumCount = _sumCount,
        LoopScanBudget = _loopScanBudget,
        LocalBound = (ulong[]?)_localBound?.Clone(), LocalLo = (long[]?)_localLo?.Clone(), LocalHi = (long[]?)_localHi?.Clone(),
        LocalGen = (int[]?)_localGen?.Clone(), FactPrev = (int[]?)_factPrev?.Clone(), FactNext = (int[]?)_factNext?.Clone(),
        FactIn = (bool[]?)_factIn?.Clone(), Sums = (KnownSum[]?)_sums?.Clone(), Inductions = [.. _inductions],
    };

    private void RestoreFacts(SavedFacts s)
    {
        (_gen, _factHead, _factTail, _factCount, _sumCount, _loopScanBudget) = (s.Gen, s.FactHead, s.FactTail, s.FactCount, s.SumCount, s.LoopScanBudget);
        (_localBound, _localLo, _localHi, _localGen) = (s.LocalBound, s.LocalLo, s.LocalHi, s.LocalGen);
        (_factPrev, _factNext, _factIn, _sums) = (s.FactPrev, s.FactNext, s.FactIn, s.Sums);
        _inductions.Clear();
        _inductions.AddRange(s.Inductions);
    }
}
