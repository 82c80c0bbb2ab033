using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Validation;

/// <summary>Validates one function body with the algorithm of spec Appendix "Validation Algorithm".</summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal sealed class FunctionValidator
{
    private readonly ModuleContext _c;
    // The operand and control stacks (spec Appendix "Validation Algorithm"), as arrays with a count:
    // no struct copy of the top frame per pop, no list bookkeeping. Reused for every function of the module.
    private ValType[] _vals = new ValType[64];
    private int _valCount;
    private Frame[] _ctrls = new Frame[16];
    private int _ctrlCount;
    // The top frame's Height (while there is one): what every pop compares with, without indexing the frames.
    private int _height;
    private ValType[] _locals = [];
    private uint[][] _tables = []; // the body's br_table and typed select arrays (FunctionBody.Tables)
    // OpInfo's tables, read per instruction: in fields, not through OpInfo's statics (OpInfo.NumericTable says why).
    private readonly int[] _numeric = OpInfo.NumericTable;
    private readonly (ValType Type, int Size, bool Store)[] _memoryOps = OpInfo.MemoryTable;
    // The body's facts for the call graph (FunctionBody.Facts), gathered on this walk: what CallGraph's own scan
    // of the code found, at a few instructions' cost here.
    private Instr[] _code = [];
    private int _accesses, _firstMemory, _firstRotate32, _firstRotate64, _callCount;
    private bool _hasLoop, _callsIndirect;
    private int[] _calls = new int[8];

    private struct Frame
    {
        public ushort Op;
        public ValType[] Start;
        public ValType[] End;
        public int Height;
        public bool Unreachable;
    }

    public FunctionValidator(ModuleContext c) => _c = c;

    private static WasmInvalidException Err(string m) => new(m);

    // Push, Pop and Local run once or more per instruction: inlined, with their rare paths (growth, errors,
    // unreachable code) in methods of their own (a method that throws is not inlined).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void Push(ValType t)
    {
        int n = _valCount;
        var vals = _vals;
        // The test the store's bounds check needs (so the JIT emits none): one compare, one load of the array.
        if ((uint)n < (uint)vals.Length)
        {
            vals[n] = t;
            _valCount = n + 1;
        }
        else PushGrown(t);
    }

    /// <summary><see cref="Push"/> onto a full stack: doubles it first.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void PushGrown(ValType t)
    {
        Array.Resize(ref _vals, _vals.Length * 2);
        _vals[_valCount++] = t;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ValType Pop()
    {
        int n = _valCount;
        if (n == _height) return PopAtHeight();
        _valCount = n - 1;
        return _vals[n - 1];
    }

    /// <summary>Pop at the frame's height: unknown in unreachable code, else a type error.</summary>
    private ValType PopAtHeight() => _ctrls[_ctrlCount - 1].Unreachable ? ValType.Unknown : throw Err("type mismatch");

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ValType Pop(ValType expect)
    {
        var actual = Pop();
        if (actual != expect && actual != ValType.Unknown && expect != ValType.Unknown) ThrowMismatch();
        return actual;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowMismatch() => throw Err("type mismatch");

    private void PushAll(ValType[] ts)
    {
        foreach (var t in ts) Push(t);
    }

    private void PopAll(ValType[] ts)
    {
        for (int i = ts.Length - 1; i >= 0; i--) Pop(ts[i]);
    }

    /// <summary>
    /// Checks the top values against <paramref name="ts"/> without popping them: what <c>push(pop_vals(ts))</c>
    /// of the spec's br_table algorithm checks, without an array per target (values below the frame's height
    /// in unreachable code are unknown, as pop would return them).
    /// </summary>
    private void PeekAll(ValType[] ts)
    {
        ref var f = ref _ctrls[_ctrlCount - 1];
        for (int i = ts.Length - 1, at = _valCount - 1; i >= 0; i--, at--)
        {
            if (at < f.Height)
            {
                if (f.Unreachable) continue;
                throw Err("type mismatch");
            }
            var actual = _vals[at];
            if (actual != ts[i] && actual != ValType.Unknown && ts[i] != ValType.Unknown) throw Err("type mismatch");
        }
    }

    private void PushCtrl(ushort op, ValType[] start, ValType[] end)
    {
        if (_ctrlCount == _ctrls.Length) Array.Resize(ref _ctrls, _ctrls.Length * 2);
        _ctrls[_ctrlCount++] = new Frame { Op = op, Start = start, End = end, Height = _valCount };
        _height = _valCount;
        PushAll(start);
    }

    private Frame PopCtrl()
    {
        if (_ctrlCount == 0) throw Err("type mismatch");
        var f = _ctrls[_ctrlCount - 1];
        PopAll(f.End);
        if (_valCount != f.Height) throw Err("type mismatch");
        _ctrls[--_ctrlCount] = default;
        _height = _ctrlCount > 0 ? _ctrls[_ctrlCount - 1].Height : 0;
        return f;
    }

    private static ValType[] LabelTypes(in Frame f) => f.Op == 0x03 ? f.Start : f.End;

    private void Unreachable()
    {
        ref var f = ref _ctrls[_ctrlCount - 1];
        _valCount = f.Height;
        f.Unreachable = true;
    }

    private ref Frame Label(long depth)
    {
        if (depth < 0 || depth >= _ctrlCount) throw Err("unknown label");
        return ref _ctrls[_ctrlCount - 1 - (int)depth];
    }

    private (ValType[] In, ValType[] Out) BlockType(long bt)
    {
        if (bt == -64) return ([], []);
        if (bt < 0)
        {
            return ([], Single(CodeDecoder.BlockValType(bt)));
        }
        var ft = _c.Type(bt);
        return (ft.Params, ft.Results);
    }

    // One shared array per value type for [t] block types (frames only read their type arrays).
    private static readonly ValType[][] Singles = new ValType[256][];

    private static ValType[] Single(ValType t) => Singles[(byte)t] ??= [t];

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ValType Local(long i)
    {
        var locals = _locals; // one load of the field for the test and the read
        if ((ulong)i >= (ulong)locals.Length) ThrowUnknownLocal();
        return locals[(int)i];
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowUnknownLocal() => throw Err("unknown local");

    public void Validate(FuncType type, FunctionBody body)
    {
        var locals = new ValType[type.Params.Length + body.Locals.Length];
        // Span copies: Array.CopyTo and the non-generic Array.Clear check the arrays' types and bounds per call.
        type.Params.AsSpan().CopyTo(locals);
        body.Locals.AsSpan().CopyTo(locals.AsSpan(type.Params.Length));
        _locals = locals;
        _tables = body.Tables;
        _valCount = 0;
        // Frames left by a body that failed (a valid body pops them all).
        if (_ctrlCount != 0) _ctrls.AsSpan(0, _ctrlCount).Clear();
        _ctrlCount = 0;
        PushCtrl(0, [], type.Results);
        var returns = type.Results;
        var code = body.Code;
        _code = code;
        _accesses = _callCount = 0;
        _firstMemory = _firstRotate32 = _firstRotate64 = -1;
        _hasLoop = _callsIndirect = false;
        // No frame is left only after the end of the function's own frame: an instruction after it fails at that end (StepOther).
        for (int pc = 0; pc < code.Length; pc++) Step(in code[pc], pc, returns);
        if (_ctrlCount != 0) throw Err("type mismatch");
        body.Facts = new BodyFacts
        {
            ScalarAccesses = _accesses, FirstMemory = _firstMemory, FirstRotate32 = _firstRotate32, FirstRotate64 = _firstRotate64,
            HasLoop = _hasLoop, CallsIndirect = _callsIndirect, Calls = _callCount == 0 ? [] : _calls.AsSpan(0, _callCount).ToArray(),
        };
    }

    // Bit (op - 0x67) set for i32.clz/ctz (0x67, 0x68), i32.rotl/rotr (0x77, 0x78), i64.clz/ctz (0x79, 0x7A) and
    // i64.rotl/rotr (0x89, 0x8A): the numeric instructions whose index the call graph's facts note.
    private const ulong RotateOps = 0b11UL | 0b1111UL << 16 | 0b11UL << 34;

    /// <summary>
    /// A rotate, or a clz/ctz: the first of each width is noted (clz/ctz only when it counts the result of an or; the
    /// rotate masks also make the shift counts of clz/ctz of an or opaque: FunctionCompiler.Numeric.cs, TryCountOfOr).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void NoteRotate(ushort op, int pc)
    {
        if (op <= 0x78)
        {
            if (_firstRotate32 < 0 && (op >= 0x77 || pc > 0 && _code[pc - 1].Op == 0x72)) _firstRotate32 = pc;
        }
        else if (_firstRotate64 < 0 && (op >= 0x89 || pc > 0 && _code[pc - 1].Op == 0x84)) _firstRotate64 = pc;
    }

    /// <summary>A direct call's function index, for the call graph's facts.</summary>
    private void NoteCall(long function)
    {
        if (_callCount == _calls.Length) Array.Resize(ref _calls, 2 * _callCount);
        _calls[_callCount++] = (int)function;
    }

    /// <summary>
    /// One instruction. The frequent ones (numeric, locals, constants, loads and stores, global.get, drop) here;
    /// the rest in <see cref="StepOther"/>, whose many reference-typed temporaries (block types, popped frames)
    /// made the JIT zero a 432-byte frame on every call of the one method this was: a third of its time.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void Step(in Instr ins, int pc, ValType[] returns)
    {
        ushort op = ins.Op;
        // Tested before it is unpacked: the other instructions (most of a body: locals, constants) skip the unpacking.
        int e = OpInfo.NumericEntry(_numeric, op);
        if (e != 0)
        {
            var (a, b, r) = ((ValType)(byte)e, (ValType)(byte)(e >> 8), (ValType)(byte)(e >> 16));
            if ((uint)(op - 0x67) < 36 && ((RotateOps >> (op - 0x67)) & 1) != 0) NoteRotate(op, pc);
            // Operands of the expected types above the frame's height (where pop finds them and checks nothing
            // else): the result replaces them in place. Anything else (unreachable code, a mismatch) goes the spec's way.
            int n = _valCount;
            var vals = _vals;
            if (b == ValType.Unknown)
            {
                if (n - 1 >= _height && (uint)(n - 1) < (uint)vals.Length && vals[n - 1] == a)
                {
                    vals[n - 1] = r;
                    return;
                }
            }
            else if (n - 2 >= _height && (uint)(n - 1) < (uint)vals.Length && vals[n - 1] == b && vals[n - 2] == a)
            {
                vals[n - 2] = r;
                _valCount = n - 1;
                return;
            }
            if (b != ValType.Unknown) Pop(b);
            Pop(a);
            Push(r);
            return;
        }
        switch (op)
        {
            case 0x1A: Pop(); return;
            case 0x20: Push(Local(ins.Imm)); return;
            case 0x21: Pop(Local(ins.Imm)); return;
            case 0x22:
            {
                var t = Local(ins.Imm);
                Pop(t);
                Push(t);
                return;
            }
            case 0x23: Push(_c.Global(ins.Imm).Type); return;
            case >= 0x28 and <= 0x3E:
            {
                var (t, size, store) = OpInfo.Memory(_memoryOps, op);
                MemArg(ins.Imm2, size);
                _accesses++;
                if (_firstMemory < 0) _firstMemory = pc;
                if (store)
                {
                    Pop(t);
                    Pop(ValType.I32);
                }
                else
                {
                    Pop(ValType.I32);
                    Push(t);
                }
                return;
            }
            case 0x41: Push(ValType.I32); return;
            case 0x42: Push(ValType.I64); return;
            case 0x43: Push(ValType.F32); return;
            case 0x44: Push(ValType.F64); return;
        }
        StepOther(in ins, pc, returns);
    }

    /// <summary>The instructions <see cref="Step"/> leaves: control, calls, tables, references, bulk memory, SIMD.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void StepOther(in Instr ins, int pc, ValType[] returns)
    {
        ushort op = ins.Op;
        switch (op)
        {
            case 0x00: Unreachable(); return;
            case 0x01: return;
            case 0x02 or 0x03:
            {
                _hasLoop |= op == 0x03;
                var (i, o) = BlockType(ins.Imm);
                PopAll(i);
                PushCtrl(op, i, o);
                return;
            }
            case 0x04:
            {
                var (i, o) = BlockType(ins.Imm);
                Pop(ValType.I32);
                PopAll(i);
                PushCtrl(op, i, o);
                return;
            }
            case 0x05:
            {
                var f = PopCtrl();
                if (f.Op != 0x04) throw Err("else without if");
                PushCtrl(0x05, f.Start, f.End);
                return;
            }
            case 0x0B:
            {
                var f = PopCtrl();
                if (f.Op == 0x04 && !f.Start.AsSpan().SequenceEqual(f.End)) throw Err("type mismatch");
                PushAll(f.End);
                // The function's own frame ended: nothing may follow (the decoder ends a body there; a body built otherwise).
                if (_ctrlCount == 0 && pc + 1 < _code.Length) throw Err("type mismatch");
                return;
            }
            case 0x0C:
                PopAll(LabelTypes(Label(ins.Imm)));
                Unreachable();
                return;
            case 0x0D:
            {
                Pop(ValType.I32);
                var lt = LabelTypes(Label(ins.Imm));
                PopAll(lt);
                PushAll(lt);
                return;
            }
            case 0x0E:
            {
                Pop(ValType.I32);
                var t = _tables[ins.Imm];
                int m = LabelTypes(Label(t[^1])).Length;
                for (int k = 0; k < t.Length - 1; k++)
                {
                    var lt = LabelTypes(Label(t[k]));
                    if (lt.Length != m) throw Err("type mismatch");
                    PeekAll(lt);
                }
                PopAll(LabelTypes(Label(t[^1])));
                Unreachable();
                return;
            }
            case 0x0F:
                PopAll(returns);
                Unreachable();
                return;
            case 0x10:
            {
                var ft = _c.Func(ins.Imm);
                NoteCall(ins.Imm);
                PopAll(ft.Params);
                PushAll(ft.Results);
                return;
            }
            case 0x11:
            {
                _callsIndirect = true;
                var tt = _c.Table(ins.Imm2);
                if (tt.ElemType != ValType.FuncRef) throw Err("type mismatch");
                var ft = _c.Type(ins.Imm);
                Pop(ValType.I32);
                PopAll(ft.Params);
                PushAll(ft.Results);
                return;
            }
            case 0x1B:
            {
                Pop(ValType.I32);
                var t1 = Pop();
                var t2 = Pop();
                // Spec Appendix "Validation Algorithm": numeric or vector operands only.
                if (t1.IsRef() || t2.IsRef()) throw Err("type mismatch");
                if (t1 != t2 && t1 != ValType.Unknown && t2 != ValType.Unknown) throw Err("type mismatch");
                Push(t1 == ValType.Unknown ? t2 : t1);
                return;
            }
            case 0x1C:
            {
                var ts = _tables[ins.Imm];
                if (ts.Length != 1) throw Err("invalid result arity");
                var t = (ValType)ts[0];
                Pop(ValType.I32);
                Pop(t);
                Pop(t);
                Push(t);
                return;
            }
            case 0x24:
            {
                var g = _c.Global(ins.Imm);
                if (!g.Mutable) throw Err("global is immutable");
                Pop(g.Type);
                return;
            }
            case 0x25:
                Pop(ValType.I32);
                Push(_c.Table(ins.Imm).ElemType);
                return;
            case 0x26:
                Pop(_c.Table(ins.Imm).ElemType);
                Pop(ValType.I32);
                return;
            case 0x3F:
                _c.Memory(0);
                Push(ValType.I32);
                return;
            case 0x40:
                _c.Memory(0);
                Pop(ValType.I32);
                Push(ValType.I32);
                return;
            case 0xD0: Push((ValType)ins.Imm); return;
            case 0xD1:
            {
                var t = Pop();
                if (t != ValType.Unknown && !t.IsRef()) throw Err("type mismatch");
                Push(ValType.I32);
                return;
            }
            case 0xD2:
                _c.Func(ins.Imm);
                if (!_c.IsRef((uint)ins.Imm)) throw Err("undeclared function reference");
                Push(ValType.FuncRef);
                return;
            case 0xFC08:
                _c.Memory(0);
                _c.CheckData(ins.Imm);
                Pop(ValType.I32); Pop(ValType.I32); Pop(ValType.I32);
                return;
            case 0xFC09:
                _c.CheckData(ins.Imm);
                return;
            case 0xFC0A or 0xFC0B:
                _c.Memory(0);
                Pop(ValType.I32); Pop(op == 0xFC0B ? ValType.I32 : ValType.I32); Pop(ValType.I32);
                return;
            case 0xFC0C:
            {
                var tt = _c.Table(ins.Imm2);
                var et = _c.Elem(ins.Imm);
                if (tt.ElemType != et) throw Err("type mismatch");
                Pop(ValType.I32); Pop(ValType.I32); Pop(ValType.I32);
                return;
            }
            case 0xFC0D:
                _c.Elem(ins.Imm);
                return;
            case 0xFC0E:
            {
                var t1 = _c.Table(ins.Imm);
                var t2 = _c.Table(ins.Imm2);
                if (t1.ElemType != t2.ElemType) throw Err("type mismatch");
                Pop(ValType.I32); Pop(ValType.I32); Pop(ValType.I32);
                return;
            }
            case 0xFC0F:
            {
                var tt = _c.Table(ins.Imm);
                Pop(ValType.I32);
                Pop(tt.ElemType);
                Push(ValType.I32);
                return;
            }
            case 0xFC10:
                _c.Table(ins.Imm);
                Push(ValType.I32);
                return;
            case 0xFC11:
            {
                var tt = _c.Table(ins.Imm);
                Pop(ValType.I32);
                Pop(tt.ElemType);
                Pop(ValType.I32);
                return;
            }
        }
        if (op >= 0xFD00)
        {
            StepSimd(in ins, pc);
            return;
        }
        throw Err("illegal opcode");
    }

    /// <summary>SIMD instructions (spec §3.3.3 vector instructions, §3.3.7 memory instructions).</summary>
    private void StepSimd(in Instr ins, int pc)
    {
        if (_firstMemory < 0 && SimdOpInfo.IsMemory((uint)ins.Op & 0xFF)) _firstMemory = pc;
        var op = SimdOpInfo.Get((uint)ins.Op & 0xFF);
        const ValType V = ValType.V128, I = ValType.I32;
        switch (op.Kind)
        {
            case SimdKind.Load:
                MemArg(ins.Imm2, op.Size);
                Pop(I);
                Push(V);
                return;
            case SimdKind.Store:
                MemArg(ins.Imm2, op.Size);
                Pop(V);
                Pop(I);
                return;
            case SimdKind.LoadLane or SimdKind.StoreLane:
                if (ins.Imm3 >= op.MemoryLanes) throw Err("invalid lane index");
                MemArg(ins.Imm2, op.Size);
                Pop(V);
                Pop(I);
                if (op.Kind == SimdKind.LoadLane) Push(V);
                return;
            case SimdKind.Const:
                Push(V);
                return;
            case SimdKind.Shuffle:
            {
                long high = ins.High(_tables);
                for (int i = 0; i < 16; i++)
                {
                    long lanes = i < 8 ? ins.Imm : high;
                    if ((byte)(lanes >> (8 * (i & 7))) >= 32) throw Err("invalid lane index");
                }
                Pop(V);
                Pop(V);
                Push(V);
                return;
            }
            case SimdKind.Extract:
                if (ins.Imm >= op.Size) throw Err("invalid lane index");
                Pop(V);
                Push(op.Scalar);
                return;
            case SimdKind.Replace:
                if (ins.Imm >= op.Size) throw Err("invalid lane index");
                Pop(op.Scalar);
                Pop(V);
                Push(V);
                return;
            case SimdKind.Splat:
                Pop(op.Scalar);
                Push(V);
                return;
            case SimdKind.Unary:
                Pop(V);
                Push(V);
                return;
            case SimdKind.Binary:
                Pop(V);
                Pop(V);
                Push(V);
                return;
            case SimdKind.Ternary:
                Pop(V);
                Pop(V);
                Pop(V);
                Push(V);
                return;
            case SimdKind.Test:
                Pop(V);
                Push(I);
                return;
            case SimdKind.Shift:
                Pop(I);
                Pop(V);
                Push(V);
                return;
        }
        throw Err("illegal opcode");
    }

    /// <summary>A memory access: memory 0 exists and 2^align does not exceed the bytes accessed.</summary>
    private void MemArg(uint align, int size)
    {
        _c.Memory(0);
        if (align >= 32 || (1UL << (int)align) > (ulong)size) throw Err("alignment must not be larger than natural");
    }
}
