using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

internal sealed partial class FunctionCompiler
{
    /// <summary>
    /// SIMD instructions: operands from their slots, immediates as constants, then one call to the
    /// <see cref="V128Ops"/> method named by <see cref="SimdOpInfo"/> (aggressively inlined by the JIT,
    /// so lane indices and shuffle selectors become instruction immediates).
    /// </summary>
    private void EmitSimd(in Instr ins)
    {
        var il = _il;
        var op = SimdOpInfo.Get((uint)ins.Op & 0xFF);
        const ValType V = ValType.V128;
        switch (op.Kind)
        {
            case SimdKind.Load:
            case SimdKind.Store:
                if (TryEmitUncheckedSimdMemory(ins.Imm, op, 0)) return; // statically in bounds: no check
                LdMemory();
                Operands(op.Kind == SimdKind.Load ? 1 : 2);
                il.Emit(OpCodes.Ldc_I8, ins.Imm);
                CallSimd(op.Helper, op.Kind == SimdKind.Load ? V : null);
                return;
            case SimdKind.LoadLane:
            case SimdKind.StoreLane:
                if (TryEmitUncheckedSimdMemory(ins.Imm, op, (int)ins.Imm3)) return;
                LdMemory();
                Operands(2);
                il.Emit(OpCodes.Ldc_I8, ins.Imm);
                il.Emit(OpCodes.Ldc_I4, (int)ins.Imm3);
                CallSimd(op.Helper, op.Kind == SimdKind.LoadLane ? V : null);
                return;
            case SimdKind.Const:
                EmitV128Const(ins.Imm, ins.High(_body.Tables));
                Push(V);
                return;
            case SimdKind.Shuffle:
                EmitShuffle(ins.Imm, ins.High(_body.Tables));
                return;
            case SimdKind.Extract:
                Operands(1);
                il.Emit(OpCodes.Ldc_I4, (int)ins.Imm);
                CallSimd(op.Helper, op.Scalar);
                return;
            case SimdKind.Replace:
                Operands(2);
                il.Emit(OpCodes.Ldc_I4, (int)ins.Imm);
                CallSimd(op.Helper, V);
                return;
            case SimdKind.Splat:
            case SimdKind.Unary:
                Operands(1);
                CallSimd(op.Helper, V);
                return;
            case SimdKind.Binary:
            case SimdKind.Shift:
                Operands(2);
                CallSimd(op.Helper, V);
                return;
            case SimdKind.Ternary:
                Operands(3);
                CallSimd(op.Helper, V);
                return;
            case SimdKind.Test:
                Operands(1);
                CallSimd(op.Helper, ValType.I32);
                return;
        }
        throw new InvalidOperationException($"SIMD opcode 0x{ins.Op:x} not supported");
    }

    private void CallSimd(string helper, ValType? result)
    {
        _tokens.Emit(_il, OpCodes.Call, Named(SimdByName, helper, simd: true));
        if (result is ValType r) Push(r);
    }

    /// <summary>
    /// After the value at <paramref name="pos"/> was stored into <paramref name="local"/>: when that value is the
    /// <c>v128.const</c> right before, the local is known to hold the constant (kept with the sums: until it is written
    /// or paths merge where it is written), and a <c>local.get</c> of it pushes the constant again. clang puts a loop's
    /// constant operands in locals inside the loop (<c>v128.const; local.tee 10</c>, then <c>local.get 10</c> for the
    /// next vector); reading the local instead, the JIT copied its hoisted constant into the local's register each
    /// iteration (float_math SIMD: two <c>vmovaps</c> in a 22-instruction loop). The stores then go dead.
    /// </summary>
    private void RecordV128Const(int local, int pos)
    {
        if (_pc == 0 || _code[_pc - 1].Op != 0xFD0C || _localTypes[local] != ValType.V128 || IsDeferred(pos)) return;
        ref readonly var c = ref _code[_pc - 1];
        AddKnownSum(new KnownSum { Target = local, Base = local, Fold = KnownV128, Lo = c.Imm, Hi = c.High(_body.Tables) });
    }

    private void EmitV128Const(long lo, long hi)
    {
        _il.Emit(OpCodes.Ldc_I8, lo);
        _il.Emit(OpCodes.Ldc_I8, hi);
        _tokens.Emit(_il, OpCodes.Call, Named(SimdByName, nameof(V128Ops.Const), simd: true));
    }

    /// <summary>
    /// <c>i8x16.shuffle</c> (lanes validated below 32): a selector per operand, 0x80 where the lane comes
    /// from the other one; a shuffle drawing from one operand only costs one pshufb.
    /// </summary>
    private void EmitShuffle(long lanesLo, long lanesHi)
    {
        Span<byte> fromA = stackalloc byte[16], fromB = stackalloc byte[16];
        bool anyA = false, anyB = false;
        for (int i = 0; i < 16; i++)
        {
            int l = (byte)((i < 8 ? lanesLo : lanesHi) >> (8 * (i & 7)));
            fromA[i] = l < 16 ? (byte)l : (byte)0x80;
            fromB[i] = l >= 16 ? (byte)(l - 16) : (byte)0x80;
            anyA |= l < 16;
            anyB |= l >= 16;
        }
        long Lo(Span<byte> s) => System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(s);
        long Hi(Span<byte> s) => System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(s[8..]);
        int b = _stack.Count - 1;
        if (TryShuffleDwords(lanesLo, lanesHi, b)) return;
        if (anyA && anyB)
        {
            Operands(2);
            EmitV128Const(Lo(fromA), Hi(fromA));
            EmitV128Const(Lo(fromB), Hi(fromB));
            CallSimd(nameof(V128Ops.Shuffle), ValType.V128);
            return;
        }
        LdSlot(anyA ? b - 1 : b);
        Drop(b - 1, 2);
        var sel = anyA ? fromA : fromB;
        EmitV128Const(Lo(sel), Hi(sel));
        CallSimd(nameof(V128Ops.ShuffleOne), ValType.V128);
    }

    /// <summary>
    /// An <c>i8x16.shuffle</c> that moves whole 32-bit lanes (each group of four result bytes is 4k, 4k + 1, 4k + 2,
    /// 4k + 3): from one operand, a pshufd (<see cref="V128Ops.ShuffleDwords"/>); lanes 0 and 1 from one operand and 2
    /// and 3 from the other, a shufps (<see cref="V128Ops.ShuffleDwordPairs"/>, operands swapped for the second order).
    /// <paramref name="b"/> is the second operand's stack position. False (nothing emitted) for other shuffles.
    /// </summary>
    private bool TryShuffleDwords(long lanesLo, long lanesHi, int b)
    {
        Span<int> d = stackalloc int[4];
        for (int q = 0; q < 4; q++)
        {
            long half = q < 2 ? lanesLo : lanesHi;
            int first = (byte)(half >> (32 * (q & 1)));
            if ((first & 3) != 0) return false;
            for (int k = 1; k < 4; k++)
                if ((byte)(half >> (32 * (q & 1) + 8 * k)) != first + k) return false;
            d[q] = first >> 2; // 0..3 from the first operand, 4..7 from the second
        }
        int Control(int s0, int s1, int s2, int s3) => (s0 & 3) | (s1 & 3) << 2 | (s2 & 3) << 4 | (s3 & 3) << 6;
        bool lowFromA = d[0] < 4 && d[1] < 4, highFromA = d[2] < 4 && d[3] < 4;
        bool lowFromB = d[0] >= 4 && d[1] >= 4, highFromB = d[2] >= 4 && d[3] >= 4;
        if (lowFromA && highFromA || lowFromB && highFromB)
        {
            LdSlot(lowFromA ? b - 1 : b);
            Drop(b - 1, 2);
            _il.Emit(OpCodes.Ldc_I4, Control(d[0], d[1], d[2], d[3]));
            CallSimd(nameof(V128Ops.ShuffleDwords), ValType.V128);
            return true;
        }
        if (lowFromA && highFromB) Operands(2);
        else if (lowFromB && highFromA)
        {
            LdSlot(b);
            LdSlot(b - 1);
            Drop(b - 1, 2);
        }
        else return false;
        _il.Emit(OpCodes.Ldc_I4, Control(d[0], d[1], d[2], d[3]));
        CallSimd(nameof(V128Ops.ShuffleDwordPairs), ValType.V128);
        return true;
    }
}
