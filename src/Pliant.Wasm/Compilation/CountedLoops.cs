using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// A counting loop whose fuel can be charged once, at its entry (<see cref="FunctionCompiler"/>, TryEmitVersionedLoop):
/// the shapes clang emits for counted <c>for</c> loops, a straight-line body ending
/// <c>local.get i; const s; add; local.tee i; [const n | local.get n; ne | lt_u | lt_s;] br_if 0</c> (without the
/// bracketed part: exit when i reaches 0), i32 or i64, the step a constant, the bound a constant or (ne) a local the
/// loop never writes; an lt loop counts up to a constant at most max − step. Every iteration runs the whole body, which is one basic block charged <see cref="Cost"/> units at
/// the header, so t iterations cost exactly t × <see cref="Cost"/> and, metered, trap "fuel exhausted" iff that
/// exceeds the fuel at entry (each header checks). The number of iterations follows from i and n at entry with
/// wasm's wrap-around arithmetic (<see cref="Kind"/>).
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal readonly struct CountedLoop
{
    /// <summary>Most instructions in a loop's body charged at entry (where the per-iteration charge matters).</summary>
    public const int MaxBody = 256;

    /// <summary>For tests: set on a thread, its compilations charge no loop at entry (the reference the others must match).</summary>
    [ThreadStatic] internal static bool Disabled;

    /// <summary>For tests: loops charged at entry by this thread's compilations so far.</summary>
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

    /// <summary>
    /// The counting loop at <paramref name="pc"/> (a <c>loop</c> whose matching <c>end</c> is at <paramref name="end"/>)
    /// when it has one of the shapes above, its body is at most <see cref="MaxBody"/> instructions and
    /// <paramref name="plan"/> charges it as one block checked at the header.
    /// </summary>
    /// <remarks>
    /// The tail's shape is tested first (a few instructions at the end), then one pass over the body tests the rest: no
    /// control flow (so the loop's end is the first <c>end</c> after it), the counter written only by the tail's tee and
    /// the bound never, and no fuel charged or checked but the header's.
    /// </remarks>
    public static bool TryMatch(Instr[] code, int pc, int end, in FuelPlan plan, ValType[] localTypes, out CountedLoop loop)
    {
        loop = default;
        if (code[pc].Imm != -64) return false; // no parameters, no results
        // The shortest shape: local.get; const; add; local.tee; br_if.
        if (end > pc + MaxBody + 1 || end < pc + 6 || code[end - 1].Op != 0x0D) return false;
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
        // Lt tests count up (a positive step, under half the range) to a constant n at most max - s, so that no step
        // after the first wraps and the count is exact (see FunctionCompiler.EmitTripCount).
        if (kind != Test.Ne && (step <= 0 || bound >= 0 || Above(boundConst, LtLimit(wide, kind == Test.LtS, step), wide, kind == Test.LtS))) return false;
        // One block, charged and checked at the header, nothing else charged or checked inside.
        int cost = plan.Cost[pc + 1];
        if (cost <= 0 || !plan.Check[pc + 1]) return false;
        var costs = plan.Cost;
        var checks = plan.Check;
        for (int i = pc + 1; i < end; i++)
        {
            ref readonly var ins = ref code[i];
            ushort op = ins.Op;
            // No control flow (0x00-0x13 but nop) except the tail's br_if 0 (a block inside would open before its end), no
            // calls, no instructions charging fuel themselves (memory.grow, bulk memory and table operations); the counter
            // written only by the tail's tee, the bound never.
            if (op <= 0x22)
            {
                if (op <= 0x13 && op != 0x01 && i != end - 1) return false;
                if (op >= 0x21 && (ins.Imm == counter && i != tee || ins.Imm == bound)) return false;
            }
            else if (op == 0x40 || op is >= 0xFC08 and <= 0xFC11) return false;
            if (i > pc + 1 && (costs[i] != 0 || checks[i])) return false;
        }
        if (code[end - 1].Imm != 0) return false;
        loop = new CountedLoop(pc, end, counter, bound, boundConst, step, kind, wide, cost);
        return true;
    }

    /// <summary>The largest bound of an <c>lt</c> loop with step <paramref name="step"/> whose steps after the first cannot wrap (as an unsigned value for <c>lt_u</c>).</summary>
    public static long LtLimit(bool wide, bool signed, long step) => wide
        ? (signed ? long.MaxValue - step : (long)(ulong.MaxValue - (ulong)step))
        : (signed ? int.MaxValue - step : uint.MaxValue - step);

    /// <summary>The constant bound of an <c>lt</c> loop compared with <see cref="LtLimit"/> as the test compares (unsigned for <c>lt_u</c>).</summary>
    private static bool Above(long n, long limit, bool wide, bool signed) =>
        wide && !signed ? (ulong)n > (ulong)limit : !wide && !signed ? (uint)n > (ulong)limit : n > limit;

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

/// <summary>Counting loops whose fuel is charged once, at entry (<see cref="CountedLoop"/>).</summary>
internal sealed partial class FunctionCompiler
{
    // Declared at the first counting loop, shared by all (their bodies are straight-line: none nests in another):
    // the entry's temporary (the count less one, or the steps the fuel covers), and the bound the loop's test
    // compares with, per counter type. Only the bound is live in the loop.
    private LocalBuilder? _trips, _limit32, _limit64;

    /// <summary>
    /// At a <c>loop</c> (live, metered, not in an inlined copy) that is a <see cref="CountedLoop"/>: emits it once, with no
    /// charge or check inside, behind an entry that charges its whole run, and moves <paramref name="pc"/> to its
    /// <c>end</c>; false (nothing emitted) otherwise.
    /// </summary>
    /// <remarks>
    /// <code>
    ///   [the loop instruction's prologue: a charge of a block starting there, deferred entries to their slots]
    ///   t = iterations from i and n (exact, see EmitTripsLessOne), or go to X when the loop never ends
    ///   if (t × cost > fuel) go to X
    ///   fuel -= t × cost; n' = n; go to L
    /// X: if (fuel &lt; cost) { fuel -= cost; trap }            the header of the first iteration would (CountedLoopOps.Exhausted)
    ///   m = fuel / cost; fuel -= (m + 1) × cost             m iterations run, the header of the next traps
    ///   n' = i after m steps
    /// L: loop { body; i += s; br_if (i != n' | i &lt; n') }    its test compares with n' instead of n
    ///   [a ne loop whose counter runs more than its period 2^(w−a) before the fuel ends: again, a full period each time]
    ///   if (fuel &lt; 0) trap                                   only after X
    ///   [the block after the loop, charged as always]
    /// </code>
    /// The loop runs the same iterations as the metered one does — all t when the fuel covers them, else the m the
    /// fuel covers — and leaves the same fuel, or traps "fuel exhausted" after the same iterations with the same fuel:
    /// the metered loop charges every iteration at its header and traps at the first header the fuel does not cover.
    /// A trap of another kind inside the loop leaves the fuel as approximate as it is anyway (the fuel local is not
    /// published at traps; docs/plugin-abi.md §8.2). Compiled once, so its compile cost is the entry's few dozen IL
    /// instructions; the test against a local where clang's loop tested the counter for 0 costs one compare.
    /// </remarks>
    private bool TryEmitVersionedLoop(Instr[] code, ref int pc)
    {
        if (CountedLoop.Disabled || !CountedLoop.TryMatch(code, pc, LoopEnd(pc), in _fuelPlan, _localTypes, out var loop)) return false;
        CountedLoop.Versioned++;
        var vector = _mem != null ? VectorLoop.TryPlan(code, _body.Tables, in loop, _localTypes) : null; // Vectorize.cs
        int start = pc, end = loop.End;
        var il = _il;
        EmitPrologueAt(code, start, meter: true);
        var exhausted = il.DefineLabel();
        var body = il.DefineLabel();
        var limit = loop.Wide ? _limit64 ??= Declare(typeof(long)) : _limit32 ??= Declare(typeof(int));
        var trips = _trips ??= Declare(typeof(long)); // its address is taken: a temporary of the entry only
        // A ne loop with an even step has a period 2^(w−a) shorter than the longest run of fuel: cycles may be needed.
        loop.StepInverse(out int a, out _);
        int periodBits = (loop.Wide ? 64 : 32) - a;
        bool cycles = loop.Kind == CountedLoop.Test.Ne && a > 0 && periodBits <= 62;
        _root._fuelSynced = false;
        EmitTripsLessOne(in loop);
        Stloc(trips);
        Ldloc(trips);
        Ldloc(_fuel!);
        il.Emit(OpCodes.Ldc_I8, (long)loop.Cost);
        _tokens.Emit(il, OpCodes.Call, Fits);
        il.Emit(OpCodes.Brfalse, exhausted);
        Ldloc(_fuel!);
        LdRunCost(in loop);
        il.Emit(OpCodes.Sub);
        Stloc(_fuel!);
        LdBound(in loop);
        Stloc(limit);
        if (vector != null) EmitVectorPart(in loop, vector); // all but the last 1..VF iterations in vectors (Vectorize.Emit.cs)
        il.Emit(OpCodes.Br, body);
        // The fuel does not cover the run: n' = i0 + steps · s, wrapping in the counter's width.
        il.MarkLabel(exhausted);
        Ldloc(_st);
        Ldloc(_fuel!);
        il.Emit(OpCodes.Ldc_I8, (long)loop.Cost);
        il.Emit(OpCodes.Ldc_I4, cycles ? periodBits : 0);
        il.Emit(OpCodes.Ldloca, trips);
        _tokens.Emit(il, OpCodes.Call, Exhausted);
        Stloc(_fuel!);
        LdCounting(in loop, loop.Counter, 0);
        Ldloc(trips);
        if (!loop.Wide) il.Emit(OpCodes.Conv_I4);
        LdStep(in loop);
        il.Emit(OpCodes.Mul);
        il.Emit(OpCodes.Add);
        Stloc(limit);
        il.MarkLabel(body);
        EmitInstrAt(code, start);
        for (int i = start + 1; i < end; i++)
        {
            if (!EmitPrologueAt(code, i, meter: false)) continue;
            if (i == end - 3 && loop.Kind != CountedLoop.Test.Ne || i == end - 3 && code[end - 2].Op is 0x47 or 0x52)
            {
                // The bound operand: n' instead of n.
                Ldloc(limit);
                Push(loop.Wide ? L : I);
                continue;
            }
            if (i == end - 1 && code[end - 2].Op == 0x22)
            {
                // Exit at 0 (br_if on the stepped counter): the test becomes i != n'.
                Operands(1);
                Ldloc(limit);
                il.Emit(OpCodes.Ceq);
                il.Emit(OpCodes.Ldc_I4_0);
                il.Emit(OpCodes.Ceq);
                Push(I);
            }
            EmitInstrAt(code, i);
        }
        if (cycles)
        {
            // Fuel below -cost: full periods still to run, one per cost below (CountedLoopOps.Exhausted); the counter is back
            // at n', where each period ends.
            var check = il.DefineLabel();
            Ldloc(_fuel!);
            il.Emit(OpCodes.Ldc_I8, -(long)loop.Cost);
            il.Emit(OpCodes.Bge, check);
            Ldloc(_fuel!);
            il.Emit(OpCodes.Ldc_I8, (long)loop.Cost);
            il.Emit(OpCodes.Add);
            Stloc(_fuel!);
            il.Emit(OpCodes.Br, body);
            il.MarkLabel(check);
        }
        CheckFuel(); // below zero only when the fuel ran out (X)
        EmitAt(code, end, meter: true); // the block after the loop starts at its end
        _root._fuelSynced = false;
        pc = end;
        return true;
    }

    /// <summary>Pushes (<see cref="_trips"/> + 1) × the loop's cost per iteration.</summary>
    private void LdRunCost(in CountedLoop loop)
    {
        Ldloc(_trips!);
        _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Ldc_I8, (long)loop.Cost);
        _il.Emit(OpCodes.Mul);
    }

    /// <summary>Pushes the loop's bound n (its local, or the constant; 0 for the exit at 0) in the counter's type.</summary>
    private void LdBound(in CountedLoop loop) => LdCounting(in loop, loop.Bound, loop.BoundConst);

    private static readonly System.Reflection.MethodInfo NeTrips = typeof(CountedLoopOps).GetMethod(nameof(CountedLoopOps.NeTripsLessOne))!,
        LtUTrips = typeof(CountedLoopOps).GetMethod(nameof(CountedLoopOps.LtUTripsLessOne))!,
        LtSTrips = typeof(CountedLoopOps).GetMethod(nameof(CountedLoopOps.LtSTripsLessOne))!,
        Fits = typeof(CountedLoopOps).GetMethod(nameof(CountedLoopOps.Fits))!,
        Exhausted = typeof(CountedLoopOps).GetMethod(nameof(CountedLoopOps.Exhausted))!;

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

    /// <summary>Pushes the step as the counter's type.</summary>
    private void LdStep(in CountedLoop loop)
    {
        if (loop.Wide) _il.Emit(OpCodes.Ldc_I8, loop.Step);
        else _il.Emit(OpCodes.Ldc_I4, (int)loop.Step);
    }

    /// <summary>
    /// Pushes the loop's iteration count less one (<see cref="CountedLoopOps"/>; -1 for a ne loop that never ends):
    /// ne from d = n − i0 in the counter's width, lt from the counter after its first step, which may wrap (clang
    /// starts i at -4 to reach 12) while no later step can (the bound is at most max − s, CountedLoop.TryMatch).
    /// </summary>
    private void EmitTripsLessOne(in CountedLoop loop)
    {
        var il = _il;
        if (loop.Kind == CountedLoop.Test.Ne)
        {
            loop.StepInverse(out int a, out ulong inverse);
            int w = loop.Wide ? 64 : 32;
            LdBound(in loop);
            LdCounting(in loop, loop.Counter, 0);
            il.Emit(OpCodes.Sub);
            if (!loop.Wide) il.Emit(OpCodes.Conv_U8);
            il.Emit(OpCodes.Ldc_I4, a);
            il.Emit(OpCodes.Ldc_I8, (long)inverse);
            il.Emit(OpCodes.Ldc_I8, w - a == 64 ? -1L : (long)((1UL << (w - a)) - 1));
            _tokens.Emit(il, OpCodes.Call, NeTrips);
            return;
        }
        bool signed = loop.Kind == CountedLoop.Test.LtS;
        LdCounting(in loop, loop.Counter, 0);
        LdStep(in loop);
        il.Emit(OpCodes.Add);
        if (!loop.Wide) il.Emit(signed ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
        LdCounting(in loop, loop.Bound, loop.BoundConst, signed);
        il.Emit(OpCodes.Ldc_I8, loop.Step);
        _tokens.Emit(il, OpCodes.Call, signed ? LtSTrips : LtUTrips);
    }
}
