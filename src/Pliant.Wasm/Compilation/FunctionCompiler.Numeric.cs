using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

internal sealed partial class FunctionCompiler
{
    private void Helper(string name) => _tokens.Emit(_il, OpCodes.Call, Named(NumericByName, name, simd: false));

    /// <summary>A helper method and its name, as <see cref="Named"/> caches them.</summary>
    private sealed class NamedHelper(string name, System.Reflection.MethodInfo method)
    {
        public readonly string Name = name;
        public readonly System.Reflection.MethodInfo Method = method;
    }

    private static readonly NamedHelper?[] NumericByName = new NamedHelper?[64], SimdByName = new NamedHelper?[256];

    /// <summary>
    /// The numeric (or SIMD) helper named <paramref name="name"/>: from a direct-mapped table keyed by the name string's
    /// identity (the names are <c>nameof</c> constants, one object each), else from <see cref="ClrTypes"/>' table by
    /// name (a string hash and a concurrent dictionary probe, per instruction that calls a helper). An entry is one
    /// object, name and method together, so a racing thread reads a matching pair or misses.
    /// </summary>
    private static System.Reflection.MethodInfo Named(NamedHelper?[] table, string name, bool simd)
    {
        int slot = System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(name) & (table.Length - 1);
        if (table[slot] is { } e && ReferenceEquals(e.Name, name)) return e.Method;
        var method = simd ? ClrTypes.Simd(name) : ClrTypes.Numeric(name);
        table[slot] = new NamedHelper(name, method);
        return method;
    }

    private void Not()
    {
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Ceq);
    }

    private void EmitNumeric(ushort op)
    {
        if (!OpInfo.TryNumeric(_numericOps, op, out _, out var b, out var r)) throw new InvalidOperationException($"opcode 0x{op:x} not supported");
        if (op == 0x6A && TryDeferLocalSum()) return;
        if (op == 0x71 && TryDeferBooleanAnd()) return;
        if (op == 0x45 && _booleanAndPc == _pc - 1) return; // the br_if next tests the pair (BranchUnlessBoth)
        if (op is 0x6A or 0x7C && TryReassociateAdd()) return;
        if (op is 0x72 or 0x84 && TryCountOfOr(op == 0x84)) return;
        // Division with a divisor that cannot be 0 (nor -1 for the signed ones): no trap test.
        var safe = op is >= 0x6D and <= 0x70 or >= 0x7F and <= 0x82 ? SafeDivision(op) : null;
        bool constDivisor = safe != null && IsDeferred(_stack.Count - 1) && _lazyKind[_stack.Count - 1] is OfI32 or OfI64;
        if (op is >= 0xA8 and <= 0xAB or >= 0xAE and <= 0xB1 && TruncGuardedInRange(op))
        {
            Operands(1);
            Helper(InRangeHelper(op));
            Push(r);
            return;
        }
        if (b == ValType.Unknown) Operands(1);
        else if (op is not (0x6A or 0x6C or 0x71 or 0x72 or 0x73 or 0x7C or 0x7E or 0x83 or 0x84 or 0x85) || !TryLocalFirst()) Operands(2);
        var il = _il;
        if (safe != null)
        {
            if (op is >= 0x6D and <= 0x70 && UseFpDivider(op, constDivisor)) Helper(FpDivisionHelper(op));
            else il.Emit(safe.Value);
            Push(r);
            return;
        }
        switch (op)
        {
            // i32 / i64 comparisons
            case 0x45: il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Ceq); break;
            case 0x50: il.Emit(OpCodes.Ldc_I8, 0L); il.Emit(OpCodes.Ceq); break;
            case 0x46 or 0x51 or 0x5B or 0x61: il.Emit(OpCodes.Ceq); break;
            case 0x47 or 0x52 or 0x5C or 0x62: il.Emit(OpCodes.Ceq); Not(); break;
            case 0x48 or 0x53: il.Emit(OpCodes.Clt); break;
            case 0x49 or 0x54: il.Emit(OpCodes.Clt_Un); break;
            case 0x4A or 0x55: il.Emit(OpCodes.Cgt); break;
            case 0x4B or 0x56: il.Emit(OpCodes.Cgt_Un); break;
            case 0x4C or 0x57: il.Emit(OpCodes.Cgt); Not(); break;
            case 0x4D or 0x58: il.Emit(OpCodes.Cgt_Un); Not(); break;
            case 0x4E or 0x59: il.Emit(OpCodes.Clt); Not(); break;
            case 0x4F or 0x5A: il.Emit(OpCodes.Clt_Un); Not(); break;
            // float comparisons (unordered-aware)
            case 0x5D or 0x63: il.Emit(OpCodes.Clt); break;
            case 0x5E or 0x64: il.Emit(OpCodes.Cgt); break;
            case 0x5F or 0x65: il.Emit(OpCodes.Cgt_Un); Not(); break;
            case 0x60 or 0x66: il.Emit(OpCodes.Clt_Un); Not(); break;
            // i32 arithmetic
            case 0x67: Helper(nameof(Numerics.Clz32)); CountFix(false); break;
            case 0x68: Helper(nameof(Numerics.Ctz32)); CountFix(false); break;
            case 0x69: Helper(nameof(Numerics.Popcnt32)); break;
            case 0x6A or 0x7C or 0x92 or 0xA0: il.Emit(OpCodes.Add); break;
            case 0x6B or 0x7D or 0x93 or 0xA1: il.Emit(OpCodes.Sub); break;
            case 0x6C or 0x7E or 0x94 or 0xA2: il.Emit(OpCodes.Mul); break;
            case 0x6D: Helper(nameof(Numerics.DivS32)); break;
            case 0x6E: Helper(nameof(Numerics.DivU32)); break;
            case 0x6F: Helper(nameof(Numerics.RemS32)); break;
            case 0x70: Helper(nameof(Numerics.RemU32)); break;
            case 0x71 or 0x83: il.Emit(OpCodes.And); break;
            case 0x72 or 0x84: il.Emit(OpCodes.Or); break;
            case 0x73 or 0x85: il.Emit(OpCodes.Xor); break;
            case 0x74: Shift32(OpCodes.Shl); break;
            case 0x75: Shift32(OpCodes.Shr); break;
            case 0x76: Shift32(OpCodes.Shr_Un); break;
            case 0x77: Helper(nameof(Numerics.Rotl32)); break;
            case 0x78: Helper(nameof(Numerics.Rotr32)); break;
            // i64 arithmetic
            case 0x79: Helper(nameof(Numerics.Clz64)); CountFix(true); break;
            case 0x7A: Helper(nameof(Numerics.Ctz64)); CountFix(true); break;
            case 0x7B: Helper(nameof(Numerics.Popcnt64)); break;
            case 0x7F: Helper(nameof(Numerics.DivS64)); break;
            case 0x80: Helper(nameof(Numerics.DivU64)); break;
            case 0x81: Helper(nameof(Numerics.RemS64)); break;
            case 0x82: Helper(nameof(Numerics.RemU64)); break;
            case 0x86: Shift64(OpCodes.Shl); break;
            case 0x87: Shift64(OpCodes.Shr); break;
            case 0x88: Shift64(OpCodes.Shr_Un); break;
            case 0x89: Helper(nameof(Numerics.Rotl64)); break;
            case 0x8A: Helper(nameof(Numerics.Rotr64)); break;
            // f32
            case 0x8B: Helper(nameof(Numerics.AbsF32)); break;
            case 0x8C: Helper(nameof(Numerics.NegF32)); break;
            case 0x8D: Helper(nameof(Numerics.CeilF32)); break;
            case 0x8E: Helper(nameof(Numerics.FloorF32)); break;
            case 0x8F: Helper(nameof(Numerics.TruncF32)); break;
            case 0x90: Helper(nameof(Numerics.NearestF32)); break;
            case 0x91: Helper(nameof(Numerics.SqrtF32)); break;
            case 0x95 or 0xA3: il.Emit(OpCodes.Div); break;
            case 0x96: Helper(nameof(Numerics.MinF32)); break;
            case 0x97: Helper(nameof(Numerics.MaxF32)); break;
            case 0x98: Helper(nameof(Numerics.CopysignF32)); break;
            // f64
            case 0x99: Helper(nameof(Numerics.AbsF64)); break;
            case 0x9A: Helper(nameof(Numerics.NegF64)); break;
            case 0x9B: Helper(nameof(Numerics.CeilF64)); break;
            case 0x9C: Helper(nameof(Numerics.FloorF64)); break;
            case 0x9D: Helper(nameof(Numerics.TruncF64)); break;
            case 0x9E: Helper(nameof(Numerics.NearestF64)); break;
            case 0x9F: Helper(nameof(Numerics.SqrtF64)); break;
            case 0xA4: Helper(nameof(Numerics.MinF64)); break;
            case 0xA5: Helper(nameof(Numerics.MaxF64)); break;
            case 0xA6: Helper(nameof(Numerics.CopysignF64)); break;
            // conversions
            case 0xA7: il.Emit(OpCodes.Conv_I4); break;
            case 0xA8: Helper(nameof(Numerics.TruncI32F32S)); break;
            case 0xA9: Helper(nameof(Numerics.TruncI32F32U)); break;
            case 0xAA: Helper(nameof(Numerics.TruncI32F64S)); break;
            case 0xAB: Helper(nameof(Numerics.TruncI32F64U)); break;
            case 0xAC: il.Emit(OpCodes.Conv_I8); break;
            case 0xAD: il.Emit(OpCodes.Conv_U8); break;
            case 0xAE: Helper(nameof(Numerics.TruncI64F32S)); break;
            case 0xAF: Helper(nameof(Numerics.TruncI64F32U)); break;
            case 0xB0: Helper(nameof(Numerics.TruncI64F64S)); break;
            case 0xB1: Helper(nameof(Numerics.TruncI64F64U)); break;
            case 0xB2: il.Emit(OpCodes.Conv_R4); break;
            case 0xB3: Helper(nameof(Numerics.U32ToF32)); break;
            case 0xB4: Helper(nameof(Numerics.I64ToF32)); break;
            case 0xB5: Helper(nameof(Numerics.U64ToF32)); break;
            case 0xB6: il.Emit(OpCodes.Conv_R4); break;
            case 0xB7: il.Emit(OpCodes.Conv_R8); break;
            case 0xB8: Helper(nameof(Numerics.U32ToF64)); break;
            case 0xB9: il.Emit(OpCodes.Conv_R8); break;
            case 0xBA: Helper(nameof(Numerics.U64ToF64)); break;
            case 0xBB: Helper(nameof(Numerics.PromoteF32)); break;
            case 0xBC: Helper(nameof(Numerics.F32Bits)); break;
            case 0xBD: Helper(nameof(Numerics.F64Bits)); break;
            case 0xBE: Helper(nameof(Numerics.F32FromBits)); break;
            case 0xBF: Helper(nameof(Numerics.F64FromBits)); break;
            case 0xC0: il.Emit(OpCodes.Conv_I1); break;
            case 0xC1: il.Emit(OpCodes.Conv_I2); break;
            case 0xC2: il.Emit(OpCodes.Conv_I1); il.Emit(OpCodes.Conv_I8); break;
            case 0xC3: il.Emit(OpCodes.Conv_I2); il.Emit(OpCodes.Conv_I8); break;
            case 0xC4: il.Emit(OpCodes.Conv_I4); il.Emit(OpCodes.Conv_I8); break;
            case 0xFC00: Helper(nameof(Numerics.SatI32F32S)); break;
            case 0xFC01: Helper(nameof(Numerics.SatI32F32U)); break;
            case 0xFC02: Helper(nameof(Numerics.SatI32F64S)); break;
            case 0xFC03: Helper(nameof(Numerics.SatI32F64U)); break;
            case 0xFC04: Helper(nameof(Numerics.SatI64F32S)); break;
            case 0xFC05: Helper(nameof(Numerics.SatI64F32U)); break;
            case 0xFC06: Helper(nameof(Numerics.SatI64F64S)); break;
            case 0xFC07: Helper(nameof(Numerics.SatI64F64U)); break;
            default: throw new InvalidOperationException($"opcode 0x{op:x} not supported");
        }
        Push(r);
    }

    /// <summary>
    /// <c>i32.add</c> of two locals a and b whose unsigned bounds add up to at most 2^32 - 1, so the i32 sum never
    /// wraps, consumed right away by a scalar load as its address (<c>local.get base; local.get i; i32.add;
    /// i32.load</c>, clang's <c>p[i]</c>): deferred, so that an access without a bounds check computes memory's
    /// first byte + a + b as native integers (<see cref="EmitLocalSumAddress"/>), the same address. The JIT then
    /// computes first byte + a once before a loop that never writes a and indexes with b, zero-extended by a
    /// register move (which the CPU does at rename), instead of a 32-bit add (lea, an ALU operation) per
    /// access. Any other use of the entry (a checked access) reads the i32 sum. Nothing lies between the add and
    /// the load (no write of a or b). Returns false (nothing done) otherwise.
    /// </summary>
    private bool TryDeferLocalSum()
    {
        int top = _stack.Count - 1, below = top - 1;
        if (below < 0 || _pc + 1 >= _code.Length || _code[_pc + 1].Op is not (>= 0x28 and <= 0x35)) return false;
        if (!IsDeferred(top) || !IsDeferred(below) || _lazyKind[top] != OfLocal || _lazyKind[below] != OfLocal) return false;
        ulong ba = BoundAt(below), bb = BoundAt(top);
        if (ba == NoBound || bb == NoBound || ba + bb > uint.MaxValue) return false;
        long a = _lazyValue[below], b = _lazyValue[top];
        Drop(below, 2);
        _stack.Add(ValType.I32);
        SetBound(below);
        Defer(below, OfLocalPlusLocal, a, (int)b, FoldUnsigned);
        return true;
    }

    /// <summary>Pushes memory's first byte + a + b + <paramref name="offset"/> for the deferred sum of two locals at <paramref name="pos"/>.</summary>
    private void EmitLocalSumAddress(int pos, long offset)
    {
        _il.Emit(OpCodes.Ldloc, _memData!);
        LdLocal((int)_lazyValue[pos]);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Add);
        LdLocal(_lazyAdd[pos]);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Add);
        if (offset == 0) return;
        _il.Emit(OpCodes.Ldc_I8, offset);
        _il.Emit(OpCodes.Conv_I);
        _il.Emit(OpCodes.Add);
    }

    // Set by TryCountOfOr: the pc of the clz/ctz right after the replaced or, and what that count subtracts.
    private int _countFixPc = -1, _countFix;

    /// <summary>
    /// An <c>or</c> of a value x and a nonzero constant c on top whose result the next instruction counts, a
    /// <c>clz</c> or <c>ctz</c> of the same width W (clang's <c>__builtin_clz(x | 1)</c>,
    /// <c>__builtin_ctz(x | 0x80000000)</c>: a count that never sees 0). x86's <c>or</c> overwrites its operand, so
    /// while x is still needed the JIT emits a copy, the or and the count; a shift by a count in a register
    /// (BMI2 shlx/shrx) does not, so the or becomes a shift of x that keeps the counted end and the count then
    /// subtracts the shift (<see cref="CountFix"/>), a constant the JIT folds into the adds that follow. With k
    /// the highest set bit of c: clz(x | c) = lzcnt(x &gt;&gt;u (k + 1)) - (k + 1) — for x &gt;= 2^(k+1) both
    /// are clz(x); for smaller x the shift gives 0, lzcnt W, and x | c has its highest bit at k: W - 1 - k. With
    /// j the lowest set bit of c: ctz(x | c) = tzcnt(x &lt;&lt; (W - j)) - (W - j) — the shift keeps exactly
    /// x's bits below j; a lowest one at l counts l + W - j, none counts W, and x | c's lowest bit is then j.
    /// Wasm's clz/ctz of 0 are W (spec §4.3.2 iclz, ictz), as lzcnt/tzcnt. Not when the count is a constant (k =
    /// W - 1, j = 0: the or is emitted as it is), nor without BMI2/LZCNT/BMI1 (a shift by a register would need
    /// rcx). The shift count is masked with the opaque rotate mask (<see cref="MaskedRotateCount"/>): a constant
    /// count would be an immediate shift, which overwrites its operand again. The shifted value is only ever the
    /// operand of that clz/ctz: nothing lies between them (no label, no other instruction). Returns false
    /// (nothing done) otherwise.
    /// </summary>
    private bool TryCountOfOr(bool wide)
    {
        int pc = _pc, top = _stack.Count - 1;
        if (pc + 1 >= _code.Length || top < 1 || !IsDeferred(top) || _lazyKind[top] != (wide ? OfI64 : OfI32)) return false;
        ushort next = _code[pc + 1].Op;
        bool clz = next == (wide ? 0x79 : 0x67);
        if (!clz && next != (wide ? 0x7A : 0x68)) return false;
        var mask = wide ? _rotateMask64 : _rotateMask32;
        if (mask == null || !CountShiftSupported(wide, clz)) return false;
        ulong c = wide ? (ulong)_lazyValue[top] : (uint)(int)_lazyValue[top];
        int w = wide ? 64 : 32;
        int s = clz ? 64 - System.Numerics.BitOperations.LeadingZeroCount(c) : w - System.Numerics.BitOperations.TrailingZeroCount(c);
        if (c == 0 || s >= w) return false; // no bit, k = W - 1, or j = 0: the count is a constant
        int x = top - 1;
        LdSlot(x);
        _il.Emit(OpCodes.Ldc_I4, s);
        _il.Emit(OpCodes.Ldloc, mask);
        _il.Emit(OpCodes.And);
        _il.Emit(clz ? OpCodes.Shr_Un : OpCodes.Shl);
        Drop(x, 2);
        Push(wide ? L : I);
        (_countFixPc, _countFix) = (pc + 1, s);
        return true;
    }

    private static bool CountShiftSupported(bool wide, bool clz)
    {
        if (wide) return System.Runtime.Intrinsics.X86.Bmi2.X64.IsSupported && (clz ? System.Runtime.Intrinsics.X86.Lzcnt.X64.IsSupported : System.Runtime.Intrinsics.X86.Bmi1.X64.IsSupported);
        return System.Runtime.Intrinsics.X86.Bmi2.IsSupported && (clz ? System.Runtime.Intrinsics.X86.Lzcnt.IsSupported : System.Runtime.Intrinsics.X86.Bmi1.IsSupported);
    }

    /// <summary>After a clz/ctz whose operand <see cref="TryCountOfOr"/> shifted: subtracts the shift from the count.</summary>
    private void CountFix(bool wide)
    {
        if (_countFixPc != _pc) return;
        _countFixPc = -1;
        if (wide) _il.Emit(OpCodes.Ldc_I8, (long)_countFix);
        else _il.Emit(OpCodes.Ldc_I4, _countFix);
        _il.Emit(OpCodes.Sub);
    }

    /// <summary>
    /// An <c>add</c> of a local and a computed value, left deferred as slot + local (<see cref="OfSlotPlusLocal"/>) so
    /// that the adds of computed values that follow go first: <c>((x + acc) + y) + z</c>, as clang emits
    /// <c>acc += x + y + z</c>, becomes <c>((x + y) + z) + acc</c>. Integer addition wraps, so it is associative and
    /// commutative and the value is the same (spec §4.3.2 iadd); what changes is the chain through a loop-carried
    /// accumulator: one add per iteration instead of one per term (the bits kernel: 4 dependent operations per
    /// word, 2 after). The deferred local is read when the sum is consumed, or earlier if the local is written first
    /// (<see cref="MaterializeLocal"/>). Only while the code up to the sum's consumer is straight arithmetic, locals
    /// and memory accesses (<see cref="ScanToConsumer"/>): a call in between would keep two values alive across it
    /// instead of one; and a chain starts only when that consumer is another add, or a <c>local.set/tee</c> of
    /// another local (which then keeps the computed part, <see cref="TryStorePartialSum"/>). Also:
    /// <list type="bullet">
    /// <item>two locals, the sum consumed by an add: the upper one (the innermost operand of a right-nested chain,
    /// clang's <c>b += a4 + a3 + a2 + a1</c> as <c>a4 + (a3 + (a2 + (a1 + b)))</c>) is deferred, so <c>b</c> is
    /// added last;</item>
    /// <item>a local M known to hold R + P (P in a temporary, <see cref="KnownPartial"/>) plus a computed value X:
    /// computed as (P + X) + R, deferred on R, so a chain of locals each set to the previous one plus a term
    /// (Adler-32's <c>a1 = a + x0; a2 = a1 + x1; ...</c>) is one add away from R each, not one per term.</item>
    /// </list>
    /// Returns false (nothing done) otherwise.
    /// </summary>
    private bool TryReassociateAdd()
    {
        int top = _stack.Count - 1, below = top - 1;
        if (below < 0) return false;
        var t = _stack[top];
        byte kTop = IsDeferred(top) ? _lazyKind[top] : Eager, kBelow = IsDeferred(below) ? _lazyKind[below] : Eager;
        bool spl = kBelow == OfSlotPlusLocal || kTop == OfSlotPlusLocal;
        if (!spl && (kBelow, kTop) is not ((Eager, OfLocal) or (OfLocal, Eager) or (OfLocal, OfLocal))) return false;
        if (!ScanToConsumer(out bool consumerAdds, out int consumer)) return false;
        // A computed value plus a local: the local's known partial sum, or the local itself, is kept apart when the sum
        // goes on into another add or into another local.
        int lone = (kBelow, kTop) switch { (Eager, OfLocal) => top, (OfLocal, Eager) => below, _ => -1 };
        int partial = lone >= 0 ? PartialOf((int)_lazyValue[lone]) : -1;
        bool storedApart = lone >= 0 && _code[consumer].Op is 0x21 or 0x22 && (long)_code[consumer].Imm != _lazyValue[lone];
        if (!consumerAdds && !spl && !storedApart) return false;
        if ((kBelow, kTop) == (OfLocal, OfLocal) && !consumerAdds) return false;
        long local;
        int links = 1;
        if (partial >= 0)
        {
            // M + X with M = R + P: (P + X) + R.
            var k = _sums![partial];
            local = k.Base;
            links = k.Add + 1;
            if (kTop == Eager) _il.Emit(OpCodes.Ldloc, _partials![k.Target]!);
            else _il.Emit(OpCodes.Ldloc, Slot(below, t));
            _il.Emit(OpCodes.Ldloc, kTop == Eager ? Slot(top, t) : _partials![k.Target]!);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, Slot(below, t));
        }
        else switch (kBelow, kTop)
        {
            case (Eager, OfLocal): // x; local.get acc; add: nothing to emit yet
                local = _lazyValue[top];
                break;
            case (OfLocal, Eager): // local.get acc; x; add: x moves to the lower slot
                local = _lazyValue[below];
                _il.Emit(OpCodes.Ldloc, Slot(top, t));
                _il.Emit(OpCodes.Stloc, Slot(below, t));
                break;
            case (OfLocal, OfLocal): // local.get x; local.get acc; add: x goes to the lower slot, acc is added last
                local = _lazyValue[top];
                LdLocal((int)_lazyValue[below]);
                _il.Emit(OpCodes.Stloc, Slot(below, t));
                break;
            case (OfSlotPlusLocal, Eager): // (s + acc) + y = (s + y) + acc
                local = _lazyValue[below];
                EmitSlotAdd(below, top, t);
                break;
            case (Eager, OfSlotPlusLocal): // y + (s + acc) = (y + s) + acc
                local = _lazyValue[top];
                EmitSlotAdd(below, top, t);
                break;
            case (OfSlotPlusLocal, OfLocal): // (s + acc) + x = (s + x) + acc
                local = _lazyValue[below];
                _il.Emit(OpCodes.Ldloc, Slot(below, t));
                LdLocal((int)_lazyValue[top]);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Stloc, Slot(below, t));
                break;
            case (OfLocal, OfSlotPlusLocal): // x + (s + acc) = (x + s) + acc
                local = _lazyValue[top];
                LdLocal((int)_lazyValue[below]);
                _il.Emit(OpCodes.Ldloc, Slot(top, t));
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Stloc, Slot(below, t));
                break;
            default:
                return false;
        }
        Drop(below, 2);
        _stack.Add(t);
        SetBound(below);
        Defer(below, OfSlotPlusLocal, local, links);
        return true;
    }

    /// <summary>
    /// Scans the straight code after this instruction for the one that consumes its result (pops it): true when it
    /// is found within 24 instructions, every instruction before it being a constant, local or global access, a
    /// scalar memory access, <c>drop</c> or a numeric instruction; <paramref name="adds"/> then says whether the
    /// consumer is an add of the same type, <paramref name="at"/> is its index. Bounded work per add whatever the module.
    /// </summary>
    private bool ScanToConsumer(out bool adds, out int at)
    {
        adds = false;
        at = -1;
        var code = _code;
        int above = 0; // values pushed above the result so far
        for (int pc = _pc + 1, end = Math.Min(code.Length, _pc + 25); pc < end; pc++)
        {
            ushort op = code[pc].Op;
            int pops, pushes;
            switch (op)
            {
                case 0x20 or 0x23 or 0x41 or 0x42 or 0x43 or 0x44: (pops, pushes) = (0, 1); break;
                case 0x22 or (>= 0x28 and <= 0x35): (pops, pushes) = (1, 1); break;
                case 0x21 or 0x1A: (pops, pushes) = (1, 0); break;
                case >= 0x36 and <= 0x3E: (pops, pushes) = (2, 0); break;
                default:
                    if (!OpInfo.TryNumeric(_numericOps, op, out _, out var b, out _)) return false;
                    (pops, pushes) = (b == ValType.Unknown ? 1 : 2, 1);
                    break;
            }
            if (pops > above)
            {
                adds = op == _code[_pc].Op;
                at = pc;
                return true;
            }
            above += pushes - pops;
        }
        return false;
    }

    /// <summary>Slot <paramref name="below"/> = slot <paramref name="below"/> + slot <paramref name="top"/>.</summary>
    private void EmitSlotAdd(int below, int top, ValType t)
    {
        _il.Emit(OpCodes.Ldloc, Slot(below, t));
        _il.Emit(OpCodes.Ldloc, Slot(top, t));
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, Slot(below, t));
    }

    // Set by TryDeferBooleanAnd: the pc of the i32.and whose operands the br_if two instructions on tests.
    private int _booleanAndPc = -1;

    /// <summary>
    /// <c>i32.and</c> of two values that are each 0 or 1 (comparisons: bound 1), followed by <c>i32.eqz; br_if</c> —
    /// clang's <c>if (!(x &lt; 2^32 &amp;&amp; x &gt;= 0))</c>, the guard before a C cast to unsigned: emits nothing
    /// and leaves both values in their slots (the and's result would go into the first one's, at the same depth),
    /// and the <c>i32.eqz</c> emits nothing either; the <c>br_if</c> then branches when either is 0
    /// (<see cref="BranchUnlessBoth"/>), which for 0/1 values is exactly when their and is 0. The JIT fuses each
    /// comparison into its branch (ucomisd; jcc) instead of materialising both (setcc, movzx) and testing their
    /// and: 8 instructions → 4. Returns false (nothing done) for any other shape.
    /// </summary>
    private bool TryDeferBooleanAnd()
    {
        int pc = _pc, top = _stack.Count - 1;
        if (pc + 2 >= _code.Length || _code[pc + 1].Op != 0x45 || _code[pc + 2].Op != 0x0D || top < 1) return false;
        if (IsDeferred(top) || IsDeferred(top - 1) || BoundAt(top) > 1 || BoundAt(top - 1) > 1) return false;
        Drop(top, 1); // the first operand's slot stands for the pair; the second's keeps its value until the br_if
        _booleanAndPc = pc;
        return true;
    }

    /// <summary>
    /// The <c>br_if</c> after a pair deferred by <see cref="TryDeferBooleanAnd"/>: branches to <paramref name="f"/>
    /// when either value is 0 (two branches; with operand copies, one test of their and). False if there is none.
    /// </summary>
    private bool BranchUnlessBoth(CFrame f)
    {
        if (_booleanAndPc != _pc - 2 || _booleanAndPc < 0) return false;
        _booleanAndPc = -1;
        int pos = _stack.Count - 1;
        LocalBuilder a = Slot(pos, ValType.I32), b = Slot(pos + 1, ValType.I32);
        Drop(pos, 1);
        // Both simple comparisons of locals with constants: computed again right here, each fused into its branch by
        // the JIT (the slots' copies, never read, are dead); the JIT does not move a comparison to its use past others.
        if (!NeedsCopy(f) && ParseComparison(_pc - 3, false, out var second) && ParseComparison(second.Start - 1, true, out var first))
        {
            BranchUnless(first, f.Label);
            BranchUnless(second, f.Label);
            return true;
        }
        if (!NeedsCopy(f))
        {
            Ldloc(a);
            _il.Emit(OpCodes.Brfalse, f.Label);
            Ldloc(b);
            _il.Emit(OpCodes.Brfalse, f.Label);
            return true;
        }
        var skip = _il.DefineLabel();
        Ldloc(a);
        Ldloc(b);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Brtrue, skip);
        Branch(f);
        _il.MarkLabel(skip);
        return true;
    }

    private static string InRangeHelper(ushort op) => op switch
    {
        0xA8 => nameof(Numerics.InRangeI32F32S),
        0xA9 => nameof(Numerics.InRangeI32F32U),
        0xAA => nameof(Numerics.InRangeI32F64S),
        0xAB => nameof(Numerics.InRangeI32F64U),
        0xAE => nameof(Numerics.InRangeI64F32S),
        0xAF => nameof(Numerics.InRangeI64F32U),
        0xB0 => nameof(Numerics.InRangeI64F64S),
        _ => nameof(Numerics.InRangeI64F64U),
    };

    /// <summary>
    /// A trapping float-to-int truncation (spec §4.3.4 trunc) of <c>local.get x</c> right after a <c>br_if</c> that
    /// skips it unless x is inside the truncation's domain — clang's guard before a C cast under wasm's MVP, where
    /// out-of-range conversions are undefined:
    /// <c>(local.get|local.tee x) [f.abs] f.const c f.lt|le|gt|ge [same on x or another local; i32.and] i32.eqz br_if
    /// local.get x TRUNC</c>. The truncation can then not trap, so it is the bare conversion, with no range test of
    /// its own. Sound on the wasm alone: nothing can branch to the <c>local.get</c> nor to the truncation (labels
    /// are block ends and loop starts, both instructions), so they run only when the <c>br_if</c> fell through,
    /// i.e. its condition <c>eqz(g)</c> was 0: g, a comparison or the <c>and</c> of two (each 0 or 1), was 1, so
    /// every comparison held — each is false for NaN, and bounds x (|x| for <c>abs</c>) by its constant. Nothing
    /// in between writes x (a second comparison's <c>local.tee</c> would need a float on top, where the first one's
    /// i32 is: invalid; refused anyway). Returns false (the checked form is emitted) for any other shape.
    /// </summary>
    private bool TruncGuardedInRange(ushort op)
    {
        int pc = _pc;
        if (pc < 6 || _code[pc - 1].Op != 0x20 || _code[pc - 2].Op != 0x0D || _code[pc - 3].Op != 0x45) return false;
        long x = _code[pc - 1].Imm;
        double lo = double.NegativeInfinity, hi = double.PositiveInfinity;
        bool loIn = false, hiIn = false, bounded = false;
        int end = pc - 4;
        bool pair = _code[end].Op == 0x71;
        if (pair) end--;
        int start = Comparison(end, x, ref lo, ref loIn, ref hi, ref hiIn, ref bounded, allowTee: !pair);
        if (start < 0) return false;
        if (pair && Comparison(start - 1, x, ref lo, ref loIn, ref hi, ref hiIn, ref bounded, allowTee: true) < 0) return false;
        if (!bounded) return false;
        // The domain: the values whose truncation fits, as the trapping forms test it (Numerics.Trunc*).
        (double dLo, bool dLoIn, double dHi) = op switch
        {
            0xA8 => (-2147483648.0, true, 2147483648.0),
            0xAA => (-2147483649.0, false, 2147483648.0),
            0xA9 or 0xAB => (-1.0, false, 4294967296.0),
            0xAE or 0xB0 => (-9223372036854775808.0, true, 9223372036854775808.0),
            _ => (-1.0, false, 18446744073709551616.0),
        };
        bool loOk = lo > dLo || lo == dLo && (dLoIn || !loIn);
        bool hiOk = hi < dHi || hi == dHi && !hiIn; // the domain's upper end is always open
        return loOk && hiOk;
    }

    /// <summary>A float comparison of a local (or its absolute value) with a constant, as <see cref="ParseComparison"/> finds it.</summary>
    private readonly record struct FloatComparison(int Start, int Local, bool Abs, bool F32, int Rel, double C);

    /// <summary>
    /// The float comparison of a local with a constant ending at <paramref name="k"/>
    /// (<c>local.get|local.tee l; [f.abs;] f.const c; f.lt|gt|le|ge</c>, <see cref="FloatComparison.Rel"/> 0 to 3 in
    /// that order), c not NaN. A <c>local.tee</c> only where <paramref name="allowTee"/> (the first comparison of a
    /// pair: its write comes before every read). False for any other shape.
    /// </summary>
    private bool ParseComparison(int k, bool allowTee, out FloatComparison cmp)
    {
        cmp = default;
        if (k < 2) return false;
        ushort op = _code[k].Op;
        bool f32 = op is >= 0x5D and <= 0x60;
        if (!f32 && op is not (>= 0x63 and <= 0x66)) return false;
        ref readonly var cst = ref _code[k - 1];
        if (cst.Op != (f32 ? 0x43 : 0x44)) return false;
        double c = f32 ? BitConverter.Int32BitsToSingle((int)(uint)cst.Imm) : BitConverter.Int64BitsToDouble(cst.Imm);
        if (double.IsNaN(c)) return false;
        int at = k - 2;
        bool abs = _code[at].Op == (f32 ? 0x8B : 0x99);
        if (abs) at--;
        if (at < 0 || _code[at].Op is not (0x20 or 0x22) || _code[at].Op == 0x22 && !allowTee) return false;
        cmp = new FloatComparison(at, (int)_code[at].Imm, abs, f32, f32 ? op - 0x5D : op - 0x63, c);
        return true;
    }

    /// <summary>
    /// The comparison ending at <paramref name="k"/> (<see cref="ParseComparison"/>): narrows [lo, hi] by it when its
    /// local is <paramref name="x"/> (<paramref name="bounded"/> set), and returns its first index; -1 for any other shape.
    /// </summary>
    private int Comparison(int k, long x, ref double lo, ref bool loIn, ref double hi, ref bool hiIn, ref bool bounded, bool allowTee)
    {
        if (!ParseComparison(k, allowTee, out var cmp)) return -1;
        if (cmp.Local != x) return cmp.Start;
        bool below = cmp.Rel is 0 or 2, inclusive = cmp.Rel >= 2, abs = cmp.Abs;
        double c = cmp.C;
        if (abs && !below) return cmp.Start; // |x| > c: no bound on x (still not NaN)
        if (below && (c < hi || c == hi && !inclusive)) (hi, hiIn) = (c, inclusive);
        if (abs && (-c > lo || -c == lo && !inclusive)) (lo, loIn) = (-c, inclusive);
        if (!below && !abs && (c > lo || c == lo && !inclusive)) (lo, loIn) = (c, inclusive);
        bounded = true;
        return cmp.Start;
    }

    /// <summary>
    /// Branches to <paramref name="target"/> unless comparison <paramref name="cmp"/> holds, computed again from its
    /// local (which nothing wrote since) and constant: the unordered branch, taken for NaN as the comparison is false.
    /// </summary>
    private void BranchUnless(in FloatComparison cmp, Label target)
    {
        LdLocal(cmp.Local);
        if (cmp.Abs) Helper(cmp.F32 ? nameof(Numerics.AbsF32) : nameof(Numerics.AbsF64));
        if (cmp.F32) _il.Emit(OpCodes.Ldc_R4, (float)cmp.C);
        else _il.Emit(OpCodes.Ldc_R8, cmp.C);
        _il.Emit(cmp.Rel switch { 0 => OpCodes.Bge_Un, 1 => OpCodes.Ble_Un, 2 => OpCodes.Bgt_Un, _ => OpCodes.Blt_Un }, target);
    }

    /// <summary>
    /// A commutative integer operation (add, mul, and, or, xor: the caller tests) of a computed value and <c>local.get x</c> whose
    /// result the next instruction writes to x (xorshift's <c>x ^= x &gt;&gt; 17</c>: <c>local.get x … i32.shr_u;
    /// local.get x; i32.xor; local.tee x</c>): loads x first. .NET 10's JIT computes a commutative operation into
    /// its first operand's register, so with x first it is <c>xor x, t</c> in place of <c>xor t, x; mov x, t</c>
    /// (int_math's loop: 2 x64 instructions fewer). Both operands are loads with nothing between them, so the
    /// order changes no value.
    /// </summary>
    private bool TryLocalFirst()
    {
        int top = _stack.Count - 1, pc = _pc;
        if (pc + 1 >= _code.Length || _code[pc + 1].Op is not (0x21 or 0x22) || top < 1 || !IsDeferred(top)
            || _lazyKind[top] != OfLocal || (long)_code[pc + 1].Imm != _lazyValue[top] || IsDeferred(top - 1)) return false;
        LdSlot(top);
        LdSlot(top - 1);
        Drop(top - 1, 2);
        return true;
    }

    /// <summary>
    /// How to emit division/remainder <paramref name="op"/> without a trap test when its divisor (the stack top)
    /// provably cannot trap: it is never 0 (<see cref="DivisorNonZero"/>) and, for the signed ones, never -1 (so
    /// INT_MIN / -1, spec §4.3.2 idiv_s, cannot happen). It takes the bare CIL operation (the JIT turns a constant
    /// divisor into a multiplication; for a variable one x64 <c>div</c> faults by itself on 0, so the JIT adds no
    /// zero test; its own -1 test for a signed divisor stays unless the divisor is a constant). Measured and not
    /// kept (2026-12-05): every u32 division by a variable through an exact double division (<c>divsd</c>) read
    /// 0.82-0.86x of <c>div</c>'s time in some rounds and 1.2x in others on this VM; <c>div</c> was steady. Kept
    /// instead: every second one of a basic block (<see cref="UseFpDivider"/>). Null when the divisor may trap:
    /// the helper tests at run time.
    /// </summary>
    private OpCode? SafeDivision(ushort op)
    {
        if (!DivisorNonZero(out bool minusOne)) return null;
        return op switch
        {
            0x6E or 0x80 => OpCodes.Div_Un,
            0x70 or 0x82 => OpCodes.Rem_Un,
            0x6D or 0x7F when !minusOne => OpCodes.Div,
            0x6F or 0x81 when !minusOne => OpCodes.Rem,
            _ => null,
        };
    }

    /// <summary>
    /// Whether the stack top is provably nonzero: a constant other than 0, an i32 whose signed range excludes 0
    /// (<see cref="RangeAt"/>), or the result of the instruction just before, an <c>or</c> with a nonzero
    /// constant operand (<c>(x &amp; 0xFFFF) | 1</c>: the <c>or</c> is the previous instruction and a division is
    /// no label, so its result is the top here on every path). <paramref name="minusOne"/>: it may still be -1.
    /// </summary>
    private bool DivisorNonZero(out bool minusOne)
    {
        int top = _stack.Count - 1;
        minusOne = true;
        if (IsDeferred(top) && _lazyKind[top] is OfI32 or OfI64)
        {
            long c = _lazyKind[top] == OfI32 ? (int)_lazyValue[top] : _lazyValue[top];
            minusOne = c == -1;
            return c != 0;
        }
        if (_stack[top] == ValType.I32 && RangeAt(top, out long lo, out long hi) && (lo > 0 || hi < 0))
        {
            minusOne = lo <= -1 && hi >= -1;
            return true;
        }
        int pc = _pc;
        if (pc < 2 || _code[pc - 1].Op is not (0x72 or 0x84)) return false;
        // The or's operands were pushed by the two instructions before it when each pushes one value and pops none.
        return NonZeroConst(in _code[pc - 2])
            || pc >= 3 && NonZeroConst(in _code[pc - 3]) && _code[pc - 2].Op is 0x20 or 0x23 or 0x41 or 0x42;
    }

    private static bool NonZeroConst(in Instr ins) => ins.Op is 0x41 or 0x42 && ins.Imm != 0;

    /// <summary>Tests: every i32 division <see cref="SafeDivision"/> admits goes through the FP divider.</summary>
    [ThreadStatic] internal static bool ForceFpDivision;

    /// <summary>Tests: no i32 division goes through the FP divider.</summary>
    [ThreadStatic] internal static bool NoFpDivision;

    /// <summary>Tests: how many i32 divisions the compiler sent through the FP divider on this thread.</summary>
    [ThreadStatic] internal static int FpDivisions;

    /// <summary>Tests: how many of <see cref="FpDivisions"/> were quotients (div_s/div_u), not remainders.</summary>
    [ThreadStatic] internal static int FpQuotients;

    // The pc of the last i32 division emitted without a trap test, and whether it took the FP divider.
    private int _lastDivPc = -1;
    private bool _lastDivFp, _lastDivOpened;

    // Labels, branches, calls, returns (block .. return_call_ref, try_table): what ends a basic block.
    private static bool IsControl(ushort op) => op is >= 0x02 and <= 0x15 or 0x1F;

    /// <summary>
    /// Whether the next i32 division after this one in the same basic block is a remainder (rem_s/rem_u) whose
    /// divisor is not an <c>i32.const</c> right before it (the JIT multiplies by a constant: no divider to pair
    /// with). Only the choice of divider depends on it, never a result.
    /// </summary>
    private bool NextDivisionIsRem()
    {
        for (int i = _pc + 1; i < _code.Length; i++)
        {
            ushort op = _code[i].Op;
            if (IsControl(op)) return false;
            if (op is >= 0x6D and <= 0x70) return op is 0x6F or 0x70 && _code[i - 1].Op != 0x41;
        }
        return false;
    }

    /// <summary>
    /// Whether this i32 division, already proven unable to trap (<see cref="SafeDivision"/>), goes through the FP
    /// divider (<c>cvtsi2sd</c>, <c>divsd</c>, <c>cvttsd2si</c>, <see cref="Numerics.DivU32Fp"/> and siblings) instead
    /// of <c>div</c>: every second such division of a basic block (no control instruction between it and the previous
    /// one; a constant divisor is left to the JIT, which multiplies), so a loop with two divisions per iteration (int_math: <c>a / ((b &amp; 0xFFFF) | 1)</c> and
    /// <c>b % ((a &gt;&gt; 16) | 1)</c>) keeps both dividers busy instead of queueing on the integer one. Measured
    /// natively (clang -O2, this VM, 2026-12-05): two <c>div</c> 82-97 ms; one <c>div</c> + one <c>divsd</c> 55-65 ms
    /// on one vCPU, 93-103 on the other; both as <c>divsd</c> 60-153 ms — hence alternating, not all FP.
    /// Which one of a pair: a quotient (<paramref name="op"/> div_s/div_u) that would open a pair takes the FP
    /// divider when the block's next i32 division is a remainder by a variable (<see cref="NextDivisionIsRem"/>),
    /// which then takes <c>div</c>: x64 <c>div</c> leaves the remainder in <c>edx</c> for free, where the FP path
    /// computes it as <c>a − q·d</c> (an <c>imul</c>, a <c>mov</c> and a <c>sub</c> more). int_math divides, then
    /// takes a remainder: its loop 3 x64 instructions shorter (h-divpair).
    /// </summary>
    private bool UseFpDivider(ushort op, bool constDivisor)
    {
        bool fp;
        if (ForceFpDivision) fp = true;
        else if (constDivisor) return false; // the JIT multiplies instead: no divider at all
        else if (NoFpDivision) fp = false;
        else
        {
            bool sameBlock = _lastDivPc >= 0 && _lastDivPc < _pc;
            for (int i = _lastDivPc + 1; sameBlock && i < _pc; i++)
                if (IsControl(_code[i].Op)) sameBlock = false;
            // The partner of an open pair takes the other divider; any other division opens a pair.
            bool partner = sameBlock && _lastDivOpened;
            fp = partner ? !_lastDivFp : op is 0x6D or 0x6E && NextDivisionIsRem();
            _lastDivOpened = !partner;
        }
        _lastDivPc = _pc;
        _lastDivFp = fp;
        if (fp) FpDivisions++;
        if (fp && op is 0x6D or 0x6E) FpQuotients++;
        return fp;
    }

    private static string FpDivisionHelper(ushort op) => op switch
    {
        0x6D => nameof(Numerics.DivS32Fp),
        0x6E => nameof(Numerics.DivU32Fp),
        0x6F => nameof(Numerics.RemS32Fp),
        _ => nameof(Numerics.RemU32Fp),
    };

    private static readonly System.Reflection.FieldInfo RotateMask32 = typeof(ExecState).GetField(nameof(ExecState.RotateMask32))!;
    private static readonly System.Reflection.FieldInfo RotateMask64 = typeof(ExecState).GetField(nameof(ExecState.RotateMask64))!;

    // The masks read once per call into locals (Compile, when the body has a rotate): a register operand in
    // the loop instead of a load from the ExecState per rotate, and still opaque to the JIT.
    private LocalBuilder? _rotateMask32, _rotateMask64;

    private LocalBuilder LoadRotateMask(System.Reflection.FieldInfo field)
    {
        var local = Declare(typeof(int));
        _il.Emit(OpCodes.Ldloc, _st);
        _tokens.Emit(_il, OpCodes.Ldfld, field);
        _il.Emit(OpCodes.Stloc, local);
        return local;
    }

    /// <summary>
    /// A rotate whose count is not a constant here: the count masked with a field of the ExecState (opaque to
    /// the JIT, see <see cref="Numerics.RotlVar32"/>; read into a local at entry), then one rol/ror. Constant
    /// counts keep the helpers that avoid rol/ror (the JIT's immediate rotates mis-set the zero flag).
    /// </summary>
    private void EmitVariableRotate(ushort op)
    {
        bool wide = op is 0x89 or 0x8A;
        bool split = LoopInvariantRotateCount();
        int x = _stack.Count - 2;
        LdSlot(x);
        MaskedRotateCount(x + 1, wide);
        if (split)
        {
            // t = (s ^ mask) + 1: 32 - s (64 - s), see Numerics.RotlSplit32. From the local again (not a dup of s) so
            // that the JIT sees an expression of loop invariants and computes it before the loop.
            MaskedRotateCount(x + 1, wide);
            _il.Emit(OpCodes.Ldc_I4, wide ? 63 : 31);
            _il.Emit(OpCodes.Xor);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.Add);
        }
        Drop(x, 2);
        Helper(op switch
        {
            0x77 => split ? nameof(Numerics.RotlSplit32) : nameof(Numerics.RotlVar32),
            0x78 => split ? nameof(Numerics.RotrSplit32) : nameof(Numerics.RotrVar32),
            0x89 => split ? nameof(Numerics.RotlSplit64) : nameof(Numerics.RotlVar64),
            _ => split ? nameof(Numerics.RotrSplit64) : nameof(Numerics.RotrVar64),
        });
        Push(wide ? L : I);
    }

    /// <summary>Pushes the rotate count at stack position <paramref name="pos"/> as an int masked by the opaque mask.</summary>
    private void MaskedRotateCount(int pos, bool wide)
    {
        LdSlot(pos);
        if (wide) _il.Emit(OpCodes.Conv_I4); // wasm rotates by the count modulo 64: its low bits
        var mask = wide ? _rotateMask64 : _rotateMask32;
        if (mask != null) _il.Emit(OpCodes.Ldloc, mask);
        else
        {
            _il.Emit(OpCodes.Ldloc, _st);
            _tokens.Emit(_il, OpCodes.Ldfld, wide ? RotateMask64 : RotateMask32);
        }
        _il.Emit(OpCodes.And);
    }

    /// <summary>
    /// Whether the count of a variable rotate (the stack top) is a local that the innermost loop around this
    /// instruction (within 8 levels of nesting) never writes, on an x64 with BMI2: the JIT then computes the masked count before the loop, and
    /// the rotate as two shifts (shlx/shrx, any register) saves the moves into rcx that rol/ror by cl needs there.
    /// </summary>
    private bool LoopInvariantRotateCount()
    {
        if (!System.Runtime.Intrinsics.X86.Bmi2.IsSupported) return false;
        int top = _stack.Count - 1;
        if (!IsDeferred(top) || _lazyKind[top] != OfLocal) return false;
        // The innermost loop among the 8 innermost constructs (constant work per rotate, whatever the nesting).
        for (int i = _frames.Count - 1; i >= Math.Max(0, _frames.Count - 8); i--)
        {
            if (_frames[i].Op != 0x03) continue;
            int loop = _frames[i].Pc;
            return !WrittenIn((int)_lazyValue[top], loop, LoopEnd(loop));
        }
        return false;
    }

    private void Shift32(OpCode shift)
    {
        _il.Emit(OpCodes.Ldc_I4, 31);
        _il.Emit(OpCodes.And);
        _il.Emit(shift);
    }

    private void Shift64(OpCode shift)
    {
        _il.Emit(OpCodes.Ldc_I8, 63L);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Conv_I4);
        _il.Emit(shift);
    }
}
