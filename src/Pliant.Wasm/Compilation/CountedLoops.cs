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
        // Lt tests count up (a positive step, under half the range) to a constant n at most max - s, so that no step
        // after the first wraps and the count is exact (see FunctionCompiler.EmitTripCount).
        if (kind != Test.Ne && (step <= 0 || bound >= 0 || Above(boundConst, LtLimit(wide, kind == Test.LtS, step), wide, kind == Test.LtS))) return false;
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
    // the entry's temporaries (the count less one, or the iterations the fuel covers, and its full periods), and the
    // bound the loop's test compares with, per counter type. Only the bound is live in the loop.
    private LocalBuilder? _trips, _cycles, _limit32, _limit64;

    /// <summary>
    /// At a <c>loop</c> (live, metered, not in an inlined copy) that is a <see cref="CountedLoop"/>: emits it once, with no
    /// charge or check inside, behind an entry that charges its whole run, and moves <paramref name="pc"/> to its
    /// <c>end</c>; false (nothing emitted) otherwise.
    /// </summary>
    /// <remarks>
    /// <code>
    ///   [the loop instruction's prologue: a charge of a block starting there, deferred entries to their slots]
    ///   t = iterations from i and n (exact, see EmitTripCount), or go to X when the loop never ends
    ///   if (t × cost > fuel) go to X
    ///   fuel -= t × cost; n' = n; go to L
    /// X: if (fuel &lt; cost) { fuel -= cost; trap }            the header of the first iteration would
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
        if (CountedLoop.Disabled || !CountedLoop.TryMatch(code, pc, in _fuelPlan, _localTypes, out var loop)) return false;
        CountedLoop.Versioned++;
        int start = pc, end = loop.End;
        var il = _il;
        EmitPrologueAt(code, start, meter: true);
        var exhausted = il.DefineLabel();
        var body = il.DefineLabel();
        var limit = loop.Wide ? _limit64 ??= Declare(typeof(long)) : _limit32 ??= Declare(typeof(int));
        _trips ??= Declare(typeof(long));
        // A ne loop with an even step has a period 2^(w−a) shorter than the longest run of fuel: cycles may be needed.
        loop.StepInverse(out int a, out _);
        int periodBits = (loop.Wide ? 64 : 32) - a;
        bool cycles = loop.Kind == CountedLoop.Test.Ne && a > 0 && periodBits <= 62;
        if (cycles) _cycles ??= Declare(typeof(long));
        _root._fuelSynced = false;
        EmitTripCount(in loop, exhausted);
        EmitChargeAtEntry(in loop, exhausted);
        LdBound(in loop);
        Stloc(limit);
        il.Emit(OpCodes.Br, body);
        il.MarkLabel(exhausted);
        EmitExhaustedEntry(in loop, limit, cycles ? periodBits : 0);
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
            // Fuel below -cost: full periods still to run, one per cost below (EmitExhaustedEntry); the counter is back
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

    /// <summary>
    /// The entry when the fuel does not cover the whole run (or the loop never ends): traps at once when it does not
    /// cover one iteration, else charges m = fuel / cost iterations and the next one's header, and sets the bound to the
    /// counter's value after m steps. A ne loop whose period 2^<paramref name="periodBits"/> (0: none) m may exceed runs
    /// its last part first, then c = (m − 1) >> periodBits full periods, each ending where it started: c is kept in the
    /// fuel as c × cost below its final value (which is in [-cost, -1]), no local live in the loop.
    /// </summary>
    private void EmitExhaustedEntry(in CountedLoop loop, LocalBuilder limit, int periodBits)
    {
        var il = _il;
        var trips = _trips!;
        var enough = il.DefineLabel();
        Ldloc(_fuel!);
        il.Emit(OpCodes.Ldc_I8, (long)loop.Cost);
        il.Emit(OpCodes.Bge, enough);
        ChargeBlock(loop.Cost, check: true); // the fuel is below the cost: traps
        il.MarkLabel(enough);
        // m = fuel / cost >= 1; fuel -= (m + 1) · cost, below zero: the trap after the m-th iteration
        Ldloc(_fuel!);
        il.Emit(OpCodes.Ldc_I8, (long)loop.Cost);
        il.Emit(OpCodes.Div);
        Stloc(trips);
        Ldloc(_fuel!);
        LdRunCost(in loop);
        il.Emit(OpCodes.Sub);
        Stloc(_fuel!);
        if (periodBits > 0)
        {
            // c = (m - 1) >> periodBits; fuel -= c · cost (c · cost <= m · cost / 2: no overflow); m -= c · 2^periodBits
            Ldloc(trips);
            il.Emit(OpCodes.Ldc_I4_1);
            il.Emit(OpCodes.Conv_I8);
            il.Emit(OpCodes.Sub);
            il.Emit(OpCodes.Ldc_I4, periodBits);
            il.Emit(OpCodes.Shr);
            Stloc(_cycles!);
            Ldloc(_fuel!);
            Ldloc(_cycles!);
            il.Emit(OpCodes.Ldc_I8, (long)loop.Cost);
            il.Emit(OpCodes.Mul);
            il.Emit(OpCodes.Sub);
            Stloc(_fuel!);
            Ldloc(trips);
            Ldloc(_cycles!);
            il.Emit(OpCodes.Ldc_I4, periodBits);
            il.Emit(OpCodes.Shl);
            il.Emit(OpCodes.Sub);
            Stloc(trips);
        }
        // n' = i0 + steps · s, wrapping in the counter's width
        LdCounting(in loop, loop.Counter, 0);
        Ldloc(trips);
        if (!loop.Wide) il.Emit(OpCodes.Conv_I4);
        if (loop.Wide) il.Emit(OpCodes.Ldc_I8, loop.Step);
        else il.Emit(OpCodes.Ldc_I4, (int)loop.Step);
        il.Emit(OpCodes.Mul);
        il.Emit(OpCodes.Add);
        Stloc(limit);
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
    /// may be 2^64), or branches to <paramref name="exhausted"/> when the loop never ends (a <c>ne</c> loop whose counter
    /// steps over n).
    /// </summary>
    private void EmitTripCount(in CountedLoop loop, Label exhausted)
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
                // No solution when 2^a does not divide d (the counter steps over n forever): exhausted, where fuel ends it.
                Stloc(trips);
                Ldloc(trips);
                il.Emit(OpCodes.Ldc_I8, (1L << a) - 1);
                il.Emit(OpCodes.And);
                il.Emit(OpCodes.Brtrue, exhausted);
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
        // with n at most max - s (a constant, CountedLoop.TryMatch) no later step wraps, so the loop runs once more per step below n after i1:
        // t - 1 = ceil((n - i1) / s) when i1 < n, else 0.
        bool signed = loop.Kind == CountedLoop.Test.LtS;
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
    /// <paramref name="exhausted"/>. An i32 loop runs at most 2^32 times, so t × cost (cost ≤ 64) fits a signed compare;
    /// an i64 one compares t - 1 &lt; fuel / cost unsigned, for fuel ≥ 0 (t may be up to 2^64).
    /// </summary>
    private void EmitChargeAtEntry(in CountedLoop loop, Label exhausted)
    {
        var il = _il;
        var trips = _trips!;
        if (loop.Wide)
        {
            BranchOnFuel(OpCodes.Blt, exhausted);
            Ldloc(trips);
            Ldloc(_fuel!);
            il.Emit(OpCodes.Ldc_I8, (long)loop.Cost);
            il.Emit(OpCodes.Div_Un);
            il.Emit(OpCodes.Bge_Un, exhausted);
        }
        // trips = t × cost
        LdRunCost(in loop);
        Stloc(trips);
        if (!loop.Wide)
        {
            Ldloc(trips);
            Ldloc(_fuel!);
            il.Emit(OpCodes.Bgt, exhausted);
        }
        _root._fuelSynced = false;
        Ldloc(_fuel!);
        Ldloc(trips);
        il.Emit(OpCodes.Sub);
        Stloc(_fuel!);
    }
}
