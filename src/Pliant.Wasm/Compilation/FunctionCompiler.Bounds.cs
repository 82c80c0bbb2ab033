using System.Reflection.Emit;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Static bounds of i32 operand-stack values, to drop memory bounds checks that cannot fail. Each wasm
/// stack value gets an unsigned upper bound when it is pushed — only by instructions whose result is
/// bounded by their immediate or operands (<c>i32.const</c>, <c>i32.and</c>, <c>i32.add</c> without wrap,
/// <c>rem_u</c>, <c>shr_u</c>, <c>div_u</c>, 8/16-bit unsigned loads, comparisons, <c>select</c>); every
/// other value, and every value arriving through a label, a local or a call, is unbounded. A scalar access
/// whose address bound + offset + size fits in the memory's declared minimum is emitted without a check:
/// linear memory never shrinks, and linking refuses an imported memory below the declared minimum
/// (WebAssembly 2.0 §4.5.3 limits matching). A typical case: <c>buf[(i * 257) &amp; 0xFFFF]</c> over a
/// static buffer. No guard pages are involved: every other access keeps its check.
/// </summary>
internal sealed partial class FunctionCompiler
{
    private const ulong NoBound = ulong.MaxValue;
    private ulong[] _bounds = new ulong[16];
    private ulong _nextBound = NoBound;
    private int _nextBoundAt = -1;
    private readonly ulong _minMemoryBytes;

    private static ulong MinMemoryBytes(WasmModule m)
    {
        foreach (var imp in m.Imports)
            if (imp.Kind == ExternKind.Memory) return imp.Memory.Min * Runtime.Memory.PageSize;
        return m.Memories.Count > 0 ? m.Memories[0].Min * Runtime.Memory.PageSize : 0;
    }

    private ulong BoundAt(int pos) => pos >= 0 && pos < _stack.Count ? _bounds[pos] : NoBound;

    /// <summary>Records the bound of the value <see cref="Push"/> puts at <paramref name="pos"/>: the one planned for it by <see cref="PlanBound"/>, else none.</summary>
    private void SetBound(int pos)
    {
        if (pos >= _bounds.Length) Array.Resize(ref _bounds, Math.Max(_bounds.Length * 2, pos + 1));
        _bounds[pos] = pos == _nextBoundAt ? _nextBound : NoBound;
    }

    /// <summary>Values put on the stack other than by <see cref="Push"/> (block results): unbounded.</summary>
    private void ClearBounds(int from)
    {
        for (int i = from; i < _stack.Count; i++)
        {
            if (i >= _bounds.Length) Array.Resize(ref _bounds, Math.Max(_bounds.Length * 2, i + 1));
            _bounds[i] = NoBound;
        }
    }

    /// <summary>Before <paramref name="ins"/> is emitted: the bound its i32 result will have, if any.</summary>
    private void PlanBound(in Instr ins)
    {
        int n = _stack.Count, top = n - 1;
        (ulong bound, int at) = ins.Op switch
        {
            0x41 => ((ulong)(uint)(int)ins.Imm, n),                                // i32.const
            0x2D => (0xFFUL, top),                                                  // i32.load8_u
            0x2F => (0xFFFFUL, top),                                                // i32.load16_u
            0x45 or 0x50 => (1UL, top),                                             // eqz
            >= 0x46 and <= 0x4F or >= 0x51 and <= 0x66 => (1UL, n - 2),             // comparisons
            0x71 => (Math.Min(BoundAt(top), BoundAt(top - 1)), n - 2),              // i32.and
            0x6A => (Sum(BoundAt(top - 1), BoundAt(top)), n - 2),                   // i32.add
            0x6E or 0x76 => (BoundAt(top - 1), n - 2),                              // i32.div_u, i32.shr_u
            0x70 => (Math.Min(BoundAt(top - 1), BoundAt(top) is var d && d is > 0 and not NoBound ? d - 1 : NoBound), n - 2), // i32.rem_u
            0x1B when n >= 3 && _stack[top - 1] == ValType.I32 => (Math.Max(BoundAt(top - 2), BoundAt(top - 1)), n - 3), // select
            _ => (NoBound, -1),
        };
        _nextBound = bound;
        _nextBoundAt = bound == NoBound ? -1 : at;
    }

    private void EndBound() => _nextBoundAt = -1;

    private static ulong Sum(ulong a, ulong b) => a == NoBound || b == NoBound || a + b > uint.MaxValue ? NoBound : a + b;

    /// <summary>
    /// Emits a scalar access without a bounds check when its address is statically inside the declared
    /// minimum memory; returns false (nothing emitted) otherwise.
    /// </summary>
    private bool TryEmitUncheckedMemory(ushort op, long offset, ValType t, bool store, int size)
    {
        int addrPos = _stack.Count - (store ? 2 : 1);
        ulong bound = BoundAt(addrPos);
        if (bound == NoBound || offset < 0 || bound + (ulong)offset + (ulong)size > _minMemoryBytes) return false;
        _il.Emit(OpCodes.Ldloc, _memData!);
        LdSlot(addrPos);
        _il.Emit(OpCodes.Conv_U); // zero-extends the i32 address
        if (offset != 0)
        {
            _il.Emit(OpCodes.Ldc_I8, offset);
            _il.Emit(OpCodes.Conv_U);
            _il.Emit(OpCodes.Add);
        }
        _il.Emit(OpCodes.Add);
        if (store)
        {
            LdSlot(addrPos + 1);
            if (op is 0x3C or 0x3D or 0x3E) _il.Emit(OpCodes.Conv_I4); // i64.store8/16/32 take the low bits
            if (size > 1) _il.Emit(OpCodes.Unaligned, (byte)1);
            _il.Emit(op switch
            {
                0x36 or 0x3E => OpCodes.Stind_I4, 0x37 => OpCodes.Stind_I8, 0x38 => OpCodes.Stind_R4, 0x39 => OpCodes.Stind_R8,
                0x3A or 0x3C => OpCodes.Stind_I1, _ => OpCodes.Stind_I2,
            });
            _stack.RemoveRange(addrPos, 2);
            return true;
        }
        _stack.RemoveAt(addrPos);
        if (size > 1) _il.Emit(OpCodes.Unaligned, (byte)1);
        switch (op)
        {
            case 0x28: _il.Emit(OpCodes.Ldind_I4); break;
            case 0x29: _il.Emit(OpCodes.Ldind_I8); break;
            case 0x2A: _il.Emit(OpCodes.Ldind_R4); break;
            case 0x2B: _il.Emit(OpCodes.Ldind_R8); break;
            case 0x2C: _il.Emit(OpCodes.Ldind_I1); break;
            case 0x2D: _il.Emit(OpCodes.Ldind_U1); break;
            case 0x2E: _il.Emit(OpCodes.Ldind_I2); break;
            case 0x2F: _il.Emit(OpCodes.Ldind_U2); break;
            case 0x30: _il.Emit(OpCodes.Ldind_I1); _il.Emit(OpCodes.Conv_I8); break;
            case 0x31: _il.Emit(OpCodes.Ldind_U1); _il.Emit(OpCodes.Conv_U8); break;
            case 0x32: _il.Emit(OpCodes.Ldind_I2); _il.Emit(OpCodes.Conv_I8); break;
            case 0x33: _il.Emit(OpCodes.Ldind_U2); _il.Emit(OpCodes.Conv_U8); break;
            case 0x34: _il.Emit(OpCodes.Ldind_I4); _il.Emit(OpCodes.Conv_I8); break;
            default: _il.Emit(OpCodes.Ldind_U4); _il.Emit(OpCodes.Conv_U8); break; // 0x35 i64.load32_u
        }
        Push(t);
        return true;
    }
}
