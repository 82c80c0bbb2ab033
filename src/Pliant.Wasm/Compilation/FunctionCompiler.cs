using System.Reflection;
using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Compiles one validated function body to IL. Every wasm operand-stack slot is an IL local keyed
/// by (depth, type), so branches only copy values between locals and the IL evaluation stack is
/// empty between wasm instructions.
/// </summary>
// The compiler's, decoder's and validator's types skip the prologue zeroing of their locals (C# proves each one
// assigned before use; the few stackallocs are filled before they are read): the big switch methods that run once
// per instruction (CoverPass.Step, EmitNumeric, the validator's Step) zeroed a 120-424 byte frame per call.
[System.Runtime.CompilerServices.SkipLocalsInit]
internal sealed partial class FunctionCompiler
{
    private readonly IlWriter _il;
    private readonly MemberTokens _tokens;
    private readonly WasmModule _m;
    private readonly MethodBuilder[] _methods;
    private readonly FuncType _type;
    private readonly ValStack _stack;
    // Operand-stack slot locals by depth, one array per value type (index: ValType - 0x6F).
    // Shared with inlined copies (FunctionCompiler.Inline.cs), which use the depths above their call site's.
    private readonly LocalRef[]?[] _slots;
    private readonly FrameStack _frames;
    private readonly ValType[] _localTypes;
    private readonly LocalRef[] _locals;

    /// <summary>
    /// A local in an array element: a struct, so a store is a plain write (an array of LocalBuilder, holding the IL
    /// writer's subclass, takes the runtime's covariant store check on every element written).
    /// </summary>
    private struct LocalRef
    {
        public LocalBuilder? L;
    }
    private readonly int _paramCount;
    private int _ctxArg;
    private LocalBuilder _st = null!;
    private readonly CallGraph _calls;
    private readonly bool _counts;
    private readonly bool _restores;
    // The call depth on entry (after this function's own count): restored after calls that may change it.
    private LocalBuilder? _depth;
    private LocalBuilder? _mem;
    private LocalBuilder? _memData;
    private LocalBuilder? _memLength;
    private LocalBuilder? _fuel;
    // The fuel-passing body's return pair (FunctionCompiler.Inline.cs), declared on first use.
    private LocalBuilder? _fuelResult;
    // On the root: the return pairs of calls to fuel-passing bodies without a wrapper, by type, declared on first use.
    private Dictionary<Type, LocalBuilder>? _bodyCallResults;
    // True (on the root, shared with inlined copies) while the fuel local holds exactly ExecState.Fuel: from a
    // reload or spill up to the next charge or control-flow merge. A spill there would store the same value.
    private bool _fuelSynced;
    private LocalBuilder? _tmpFn;
    private Dictionary<(int, int, ValType), LocalBuilder>? _saved; // on first use: an if with parameters
    private int _localCount;
    private int _paramSlots;
    private readonly int _maxFrameSlots;
    private readonly bool _meterFuel;
    // OpInfo's tables, read per numeric instruction and memory access: in fields, not through OpInfo's statics
    // (OpInfo.NumericTable says why).
    private readonly int[] _numericOps = OpInfo.NumericTable;
    private readonly (ValType Type, int Size, bool Store)[] _memoryOps = OpInfo.MemoryTable;

    /// <summary>
    /// Declares an IL local: one 8-byte slot of the native frame (two for a v128). Parameters and locals
    /// together are capped by <see cref="WasmLimits.MaxFrameSlots"/> so no frame can outgrow the stack
    /// reserve that the entry check keeps (a larger frame could overflow the thread's stack before the
    /// check runs).
    /// </summary>
    private LocalBuilder Declare(Type t)
    {
        var root = _root;
        root._localCount += SlotsOf(t);
        if (root._localCount + root._paramSlots > _maxFrameSlots)
            throw new WasmInvalidException($"function needs more than the engine's cap of {_maxFrameSlots} frame slots");
        return _il.DeclareLocal(t);
    }

    private static readonly Type ByteRef = typeof(byte).MakeByRefType();

    // Identity tests (every type declared is a runtime type, unique per type): Type's == is a call that ends in a
    // virtual Equals for two different types, six per local declared. Primitives, classes and byrefs first: one slot.
    private static int SlotsOf(Type t) => !t.IsValueType || t.IsPrimitive ? 1
        : ReferenceEquals(t, typeof(System.Runtime.Intrinsics.Vector128<byte>)) || IsFuelResult(t) ? 2
        : ReferenceEquals(t, typeof(System.Runtime.Intrinsics.Vector256<byte>)) ? 4 : 1; // 256: a vectorised loop's temporaries (Vectorize.Emit.cs)

    /// <summary><see cref="ClrTypes.IsFuelResult"/> by identity.</summary>
    private static bool IsFuelResult(Type t) => ReferenceEquals(t, typeof(FuelResultI32)) || ReferenceEquals(t, typeof(FuelResultI64))
        || ReferenceEquals(t, typeof(FuelResultF32)) || ReferenceEquals(t, typeof(FuelResultF64)) || ReferenceEquals(t, typeof(FuelResultRef));

    /// <summary>Emits <c>ldloc</c> of <paramref name="l"/>, the IL <c>Emit(OpCodes.Ldloc, l)</c> emits.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void Ldloc(LocalBuilder l) => _il.Ldloc(l);

    /// <summary>Emits <c>stloc</c> of <paramref name="l"/>, the IL <c>Emit(OpCodes.Stloc, l)</c> emits.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void Stloc(LocalBuilder l) => _il.Stloc(l);

    private LocalBuilder TmpFn() => _tmpFn ??= Declare(typeof(FunctionInstance));

    private LocalBuilder Saved(int level, int i, ValType t)
    {
        _saved ??= [];
        if (!_saved.TryGetValue((level, i, t), out var l)) _saved[(level, i, t)] = l = Declare(ClrTypes.Of(t));
        return l;
    }
    private Instr[] _code = null!; // set by EmitBody
    private FuelPlan _fuelPlan;
    // Found by Compile's scan of the body, for PlanCover.
    private int _scalarAccesses;
    private bool _hasLoop;
    // From Scan: the body makes a call (call, call_indirect); it has only structural instructions (charges no fuel).
    private bool _makesCalls;
    private bool _free = true;
    private int _pc;
    private bool _dead;
    private int _deadDepth;

    // Built by its one constructor, which sets each field once: field initialisers made a separate constructor
    // call per block (not inlined) and two more reference stores with their write barriers.
    private sealed class CFrame(ushort op, Label label, int height, ValType[] parameters, ValType[] results, int pc)
    {
        public readonly ushort Op = op;
        public readonly Label Label = label;
        public Label Else;
        public bool ElseSeen;
        public readonly int Height = height;
        public readonly int Pc = pc; // of the block, loop or if instruction
        public readonly ValType[] Params = parameters;
        public readonly ValType[] Results = results;
        public LocalBuilder[]? SavedParams;
        public Label Body;    // of a loop, metering fuel: past its header's charge and check (FuelPlan.Edge)
        public bool HasBody;
        public Label Rotated; // of a loop whose header starts by copying a local: past that copy (PlanHeaderCopy)
        public bool HasRotated;
        public int RotFrom = -1, RotTo;
        public int DispatchEnd = -1;        // of a loop whose header its branches may copy: the header's br_table (PlanDispatch)
        public CFrame[]? DispatchBlocks;    // the header's blocks, open at that br_table
        public ValType[] LabelTypes => Op == 0x03 ? Params : Results;
    }

    public FunctionCompiler(IlWriter il, MemberTokens tokens, WasmModule m, MethodBuilder[] methods, FuncType type, FunctionBody body, WasmLimits limits, CallGraph calls, int index, FunctionCompiler? outer = null)
    {
        _root = outer?._root ?? this;
        _inlined = outer != null;
        _scratchLevel = outer == null ? 0 : outer._scratchLevel + 1;
        var s = _scratch = TakeScratch(_scratchLevel, type.Params.Length + body.Locals.Length);
        _facts = s.Facts;
        (_lazyKind, _lazyValue, _lazyAdd, _lazyFold) = (s.LazyKind, s.LazyValue, s.LazyAdd, s.LazyFold);
        (_stack, _frames, _inductions, _spanLocals) = (s.Stack, s.Frames, s.Inductions, s.SpanLocals);
        _slots = outer?._slots ?? new LocalRef[]?[(int)ValType.I32 - (int)ValType.ExternRef + 1];
        _slotBase = outer == null ? 0 : outer._slotBase + outer._stack.Count;
        _index = index;
        _body = body;
        _limits = limits;
        _calls = calls;
        _counts = calls.Counts[index];
        _restores = calls.Restores[index];
        _il = il;
        _tokens = tokens;
        _m = m;
        _methods = methods;
        _type = type;
        _maxFrameSlots = limits.MaxFrameSlots;
        _meterFuel = limits.MeterFuel;
        _minMemoryBytes = MinMemoryBytes(m);
        _paramCount = type.Params.Length;
        if (!_inlined) foreach (var p in type.Params) _paramSlots += SlotsOf(ClrTypes.Of(p));
        _ctxArg = outer?._ctxArg ?? _paramCount;
        // An inlined copy's locals are its root's (the same function): their types are read only.
        _localTypes = outer != null && outer._index == index ? outer._localTypes : [.. type.Params, .. body.Locals];
        if (_minMemoryBytes > 0)
        {
            int n = _localTypes.Length;
            _localBound = Ensure(ref s.LocalBound, n);
            _localLo = Ensure(ref s.LocalLo, n);
            _localHi = Ensure(ref s.LocalHi, n);
            _localGen = Ensure(ref s.LocalGen, n);
        }
        _locals = new LocalRef[_localTypes.Length];
        // An inlined copy keeps its parameters in locals too (the method's arguments are its caller's).
        for (int i = _inlined ? 0 : _paramCount; i < _localTypes.Length; i++) _locals[i].L = Declare(ClrTypes.Of(_localTypes[i]));
    }

    public void Compile(Instr[] code)
    {
        if (SelfBody != null) _paramSlots += 2; // the fuel and the depth
        _st = Declare(typeof(ExecState));
        // Wasm locals start at zero (the method does not zero its frame: ModuleCompiler sets InitLocals false).
        for (int i = _paramCount; i < _localTypes.Length; i++) ZeroLocal(_locals[i].L!, _localTypes[i]);
        LdCtx();
        _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.InstState);
        Stloc(_st);
        if (SelfBody != null)
        {
            // A fuel-passing body (it counts: it calls itself) gets its caller's depth: + 1, checked, not stored.
            _depth = Declare(typeof(int));
            Ldloc(_st);
            _il.Emit(OpCodes.Ldarg, _ctxArg + 2);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.Add);
            _tokens.Emit(_il, OpCodes.Call, ClrTypes.StCheckDepth);
            Stloc(_depth);
            if (CanInlineSelf() && OnlySelfCalls(code))
            {
                // Its inlined copies test their depth against the room left, in a register (see _depthRoom).
                _depthRoom = Declare(typeof(int));
                Ldloc(_st);
                _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.StMaxDepth);
                Ldloc(_depth);
                _il.Emit(OpCodes.Sub);
                Stloc(_depthRoom);
            }
        }
        else if (_counts || _restores)
        {
            // Counting functions (CallGraph): depth + 1, checked and stored; others that call one keep the depth they entered at.
            _depth = Declare(typeof(int));
            Ldloc(_st);
            if (_counts) _tokens.Emit(_il, OpCodes.Call, ClrTypes.StEnterCounting);
            else _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.StDepth);
            Stloc(_depth);
        }
        Scan(code);
        bool small = _localTypes.Length + code.Length <= 200;
        if (_makesCalls || !small)
        {
            Ldloc(_st);
            // The frame's address: a dedicated local (taking an address keeps that local in memory).
            _il.Emit(OpCodes.Ldloca, Declare(typeof(int)));
            _il.Emit(OpCodes.Conv_U);
            _tokens.Emit(_il, OpCodes.Call, ClrTypes.StEnter);
        }
        // else a leaf with a small frame: it cannot recurse or lengthen a chain of calls, and its frame (a few
        // KiB at most) fits in what its caller's check left (≥ 96 KiB); entered from the host, it is any small method.
        if (!small)
        {
            // Large frames (up to MaxFrameSlots): check the native stack with the runtime on every entry.
            _tokens.Emit(_il, OpCodes.Call, ClrTypes.StCheckStack);
        }
        // Fuel lives in a register-allocatable local, synchronised with ExecState around calls and returns. A
        // body of structural instructions only (nop block loop else end) charges nothing: no fuel code at all.
        if (_meterFuel && !_free) _fuel = Declare(typeof(long));
        if (SelfBody != null)
        {
            _il.Emit(OpCodes.Ldarg, _ctxArg + 1); // a fuel-passing body's fuel comes as its last argument
            _il.Emit(OpCodes.Stloc, _fuel!);
        }
        else
        {
            ReloadFuel();
        }
        EmitBody(code);
    }

    /// <summary>
    /// The prologue's part that depends on the body (its pass over the body is <see cref="CallGraph.Scans"/>):
    /// the counts of scalar accesses and loops (for PlanCover) and, in the order of their first use in the body,
    /// the loads of the memory and of the rotate masks.
    /// </summary>
    private void Scan(Instr[] code)
    {
        var scan = _calls.Scans[_index];
        _scalarAccesses = scan.ScalarAccesses;
        _hasLoop = scan.HasLoop;
        _makesCalls = scan.MakesCalls;
        _free = scan.Free;
        int memory = scan.FirstMemory, rotate32 = scan.FirstRotate32, rotate64 = scan.FirstRotate64;
        // Three first uses at distinct instructions (-1: none): each step emits the earliest one left.
        while (memory >= 0 || rotate32 >= 0 || rotate64 >= 0)
        {
            int next = Earliest(memory, Earliest(rotate32, rotate64));
            if (next == memory)
            {
                _mem = Declare(typeof(byte[]));
                _memData = Declare(ByteRef);
                _memLength = Declare(typeof(nuint));
                ReloadMemory();
                memory = -1;
            }
            else if (next == rotate32)
            {
                _rotateMask32 = LoadRotateMask(RotateMask32);
                rotate32 = -1;
            }
            else
            {
                _rotateMask64 = LoadRotateMask(RotateMask64);
                rotate64 = -1;
            }
        }
        System.Diagnostics.Debug.Assert(ReferenceEquals(code, _m.Bodies[_index].Code));
    }

    /// <summary>The smaller of two instruction indexes, -1 standing for none.</summary>
    private static int Earliest(int a, int b) => a < 0 ? b : b < 0 ? a : Math.Min(a, b);

    /// <summary>Emits the instructions of a function body, charging fuel per its <see cref="FuelPlan"/>.</summary>
    private void EmitBody(Instr[] code)
    {
        _code = code;
        // An inlined copy's body is its root's: the plans are the root's (they depend on the code only).
        var root = _root;
        bool same = root != this && ReferenceEquals(root._code, code);
        if (_mem != null) _cover = same ? root._cover : root == this ? PlanCoverOf(code, _scalarAccesses, _hasLoop, reuse: true) : PlanCover(code);
        var fuel = _fuel == null ? default : same && root._fuelPlan.Cost != null ? root._fuelPlan : FuelPlan.For(code, _body.Tables);
        _fuelPlan = fuel;
        _frames.Add(new CFrame(0, _il.DefineLabel(), 0, [], _type.Results, 0));
        bool meter = _fuel != null; // set before the body
        for (int pc = 0; pc < code.Length; pc++)
        {
            // A counting loop charged once at its entry (CountedLoops.cs): emitted with its entry, pc moves to its end.
            // The loop's ref gets a copy of pc, so pc itself stays in a register.
            if (code[pc].Op == 0x03 && meter && !_dead && !_inlined)
            {
                int at = pc;
                if (TryEmitVersionedLoop(code, ref at))
                {
                    pc = at;
                    continue;
                }
            }
            EmitAt(code, pc, meter);
        }
    }

    /// <summary>Emits instruction <paramref name="pc"/>: its block's fuel charge when <paramref name="meter"/>, then its code.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void EmitAt(Instr[] code, int pc, bool meter)
    {
        if (EmitPrologueAt(code, pc, meter)) EmitInstrAt(code, pc);
    }

    /// <summary>What comes before instruction <paramref name="pc"/>'s code: false when it is dead and emits nothing.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool EmitPrologueAt(Instr[] code, int pc, bool meter)
    {
        ushort op = code[pc].Op;
        // Every structural instruction, and every one Materializes takes, is below 0x1D, 0x40 or a prefixed one:
        // the commonest (locals, memory, constants, numeric) pass one range test.
        bool rare = op < 0x1D || op == 0x40 || op > 0xFF;
        // Structural instructions are where control flow merges (labels): paths may arrive with charges.
        if (rare && op is 0x02 or 0x03 or 0x04 or 0x05 or 0x0B) _root._fuelSynced = false;
        if (_dead)
        {
            if (op is 0x02 or 0x03 or 0x04) { _deadDepth++; return false; }
            if (op == 0x0B && _deadDepth > 0) { _deadDepth--; return false; }
            if (op == 0x05 && _deadDepth > 0) return false;
            if (op is not (0x05 or 0x0B)) return false;
        }
        else
        {
            if (meter)
            {
                if (_fuelPlan.Cost[pc] > 0 || _fuelPlan.Check[pc])
                {
                    // An inlined copy's entry block its caller charged and checked already (ChargeWithInlinedEntry).
                    if (pc == 0 && _entryCharged) _entryCharged = false;
                    else if (!ChargeWithInlinedEntry(code, pc)) ChargeBlock(_fuelPlan.Cost[pc], _fuelPlan.Check[pc]);
                }
                if (pc > 0 && code[pc - 1].Op == 0x03) MarkLoopBody(pc);
            }
            if (rare && Materializes(op)) MaterializeAll();
        }
        return true;
    }

    /// <summary>Instruction <paramref name="pc"/>'s code, after <see cref="EmitPrologueAt"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void EmitInstrAt(Instr[] code, int pc)
    {
        ref readonly var ins = ref code[pc];
        if (ins.Op == 0x03) AnalyzeLoop(code, pc);
        _pc = pc;
        PlanBound(in ins, pc);
        EmitCommonFirst(in ins);
        EndBound();
        if (!_dead && pc >= 2 && code[pc - 2].Op == 0x03) MarkLoopRotated(pc - 2);
    }

    /// <summary>
    /// <see cref="Emit"/>, the commonest instructions (local.get/set/tee, constants, loads and stores, numeric, br_if,
    /// drop) taken here by the calls Emit's switch makes for them: Emit's frame is large (its many inlined cases), and
    /// setting it up and zeroing its reference slots cost about as much as what local.get or i32.const then do.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void EmitCommonFirst(in Instr ins)
    {
        ushort op = ins.Op;
        if (op == 0x20) GetLocal((int)ins.Imm);
        else if (op == 0x41) PushDeferred(ValType.I32, OfI32, (int)ins.Imm);
        else if ((uint)(op - 0x28) <= 0x3E - 0x28) EmitMemory(op, ins.Imm);
        // Numeric but for the rotates, whose case in Emit comes first (EmitVariableRotate); i32.add as Emit's case for it.
        else if ((uint)(op - 0x45) <= 0xC4 - 0x45 && op is not (0x77 or 0x78 or 0x89 or 0x8A))
        {
            if (op != 0x6A || !TryDeferAdd()) EmitNumeric(op);
        }
        else if (op == 0x21) SetLocal((int)ins.Imm);
        else if (op == 0x22) TeeLocalCopy((int)ins.Imm);
        else if (op == 0x0D) BrIf(ins.Imm);
        else if (op == 0x42) PushDeferred(ValType.I64, OfI64, ins.Imm);
        else if (op == 0x1A) Drop(_stack.Count - 1, 1);
        else Emit(in ins);
    }

    private void ZeroLocal(LocalBuilder l, ValType t)
    {
        switch (t)
        {
            case ValType.I32: _il.Emit(OpCodes.Ldc_I4_0); break;
            case ValType.I64: _il.Emit(OpCodes.Ldc_I4_0); _il.Emit(OpCodes.Conv_I8); break;
            case ValType.F32: _il.Emit(OpCodes.Ldc_R4, 0f); break;
            case ValType.F64: _il.Emit(OpCodes.Ldc_R8, 0d); break;
            case ValType.V128:
                // Not ldloca + initobj: a local whose address is taken lives in memory for the whole method.
                EmitV128Const(0, 0);
                break;
            default: _il.Emit(OpCodes.Ldnull); break;
        }
        Stloc(l);
    }

    // ---- operand stack ----------------------------------------------------------------------

    // Inlined at its many call sites (one or two per instruction): the slot exists but for the first use of a depth.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private LocalBuilder Slot(int depth, ValType t)
    {
        var byDepth = _slots[(int)t - (int)ValType.ExternRef];
        int d = depth + _slotBase;
        return byDepth != null && (uint)d < (uint)byDepth.Length && byDepth[d].L is { } l ? l : NewSlot(depth, t);
    }

    private LocalBuilder NewSlot(int depth, ValType t)
    {
        depth += _slotBase;
        ref var byDepth = ref _slots[(int)t - (int)ValType.ExternRef];
        byDepth ??= new LocalRef[Math.Max(8, depth + 1)];
        if (depth >= byDepth.Length) Array.Resize(ref byDepth, Math.Max(byDepth.Length * 2, depth + 1));
        return byDepth[depth].L ??= Declare(ClrTypes.Of(t));
    }

    /// <summary>Caches the memory's buffer in a local; redone after anything that may grow memory.</summary>
    private void ReloadMemory()
    {
        if (_mem == null) return;
        LdCtx();
        _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.InstMemory);
        _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.MemBuffer);
        Stloc(_mem);
        Ldloc(_mem);
        _tokens.Emit(_il, OpCodes.Call, ClrTypes.MemData);
        Stloc(_memData!);
        Ldloc(_mem);
        _il.Emit(OpCodes.Ldlen);
        _il.Emit(OpCodes.Conv_U);
        Stloc(_memLength!);
    }

    /// <summary>Pushes the memory's first byte (a managed pointer) and its length: the first two arguments of every access helper.</summary>
    private void LdMemory()
    {
        Ldloc(_memData!);
        Ldloc(_memLength!);
    }

    private void ReloadFuel()
    {
        if (_fuel == null) return;
        Ldloc(_st);
        _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.StFuel);
        Stloc(_fuel);
        _root._fuelSynced = true;
    }

    /// <summary>
    /// Publishes the fuel local to <see cref="ExecState.Fuel"/> (before calls and returns), unless nothing was
    /// charged since it was last read or written there: right after a call, before the next one in the same
    /// block (its charge was made before the first), the store would write the value just loaded, and it
    /// would put one more store-to-load round trip on the chain that carries fuel through every call.
    /// </summary>
    private void SpillFuel()
    {
        if (_fuel == null || _root._fuelSynced) return;
        Ldloc(_st);
        Ldloc(_fuel);
        _tokens.Emit(_il, OpCodes.Stfld, ClrTypes.StFuel);
        _root._fuelSynced = true;
    }

    /// <summary>
    /// Charges fuel for work proportional to an operand (bulk memory and table operations, growth),
    /// so a module cannot burn unbounded time with few instructions. <paramref name="loadUnits"/>
    /// pushes the number of units as an int64.
    /// </summary>
    private void Charge(Action loadUnits)
    {
        if (_fuel == null) return;
        _root._fuelSynced = false;
        Ldloc(_fuel!);
        loadUnits();
        _il.Emit(OpCodes.Sub);
        Stloc(_fuel!);
        CheckFuel();
    }

    /// <summary>Start of a basic block: charges its instructions (<see cref="FuelPlan"/>), checking when the plan says so.</summary>
    private void ChargeBlock(int units, bool check)
    {
        if (units > 0)
        {
            _root._fuelSynced = false;
            Ldloc(_fuel!);
            _il.Emit(OpCodes.Ldc_I4, units);
            _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.Sub);
            Stloc(_fuel!);
        }
        if (check) CheckFuel();
    }

    /// <summary>Traps "fuel exhausted" (storing what is left) when the fuel local is below zero.</summary>
    private void CheckFuel()
    {
        if (_fuel == null) return;
        var ok = _il.DefineLabel();
        Ldloc(_fuel!);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Bge, ok);
        Ldloc(_st);
        Ldloc(_fuel!);
        _tokens.Emit(_il, OpCodes.Call, ClrTypes.StOutOfFuel);
        _il.MarkLabel(ok);
    }

    private void LdCtx() => _il.Emit(OpCodes.Ldarg, _ctxArg);

    /// <summary>Stores the value on the IL stack as a new wasm stack top of type <paramref name="t"/>.</summary>
    private void Push(ValType t)
    {
        _stack.Add(t);
        SetBound(_stack.Count - 1);
        Stloc(Slot(_stack.Count - 1, t));
    }

    /// <summary>Loads the top <paramref name="n"/> wasm values (bottom first) and pops them.</summary>
    private void Operands(int n)
    {
        int b = _stack.Count - n;
        for (int i = b; i < _stack.Count; i++) LdSlot(i);
        Drop(b, n);
    }

    /// <summary>Copies the top values of types <paramref name="types"/> to positions starting at <paramref name="height"/>.</summary>
    private void CopyTo(int height, ValType[] types)
    {
        int src = _stack.Count - types.Length;
        if (src == height) return;
        for (int i = 0; i < types.Length; i++)
        {
            Ldloc(Slot(src + i, types[i]));
            Stloc(Slot(height + i, types[i]));
        }
    }

    private bool NeedsCopy(CFrame f) => f.LabelTypes.Length > 0 && _stack.Count - f.LabelTypes.Length != f.Height;

    private void Branch(CFrame f)
    {
        CopyTo(f.Height, f.LabelTypes);
        _il.Emit(OpCodes.Br, f.Label);
    }

    private CFrame Target(long depth) => _frames[_frames.Count - 1 - (int)depth];

    private void MarkDead()
    {
        _dead = true;
        _deadDepth = 0;
    }

    private (ValType[] In, ValType[] Out) BlockType(long bt)
    {
        if (bt == -64) return ([], []);
        if (bt < 0) return ([], [CodeDecoder.BlockValType(bt)]);
        var ft = _m.Types[(int)bt];
        return (ft.Params, ft.Results);
    }

    // ---- calls and returns ------------------------------------------------------------------

    private void EmitReturnSequence()
    {
        // Results are at stack positions [count - n, count).
        if (_inlined)
        {
            // An inlined copy leaves its result on the IL stack for its caller (InlineSelf).
            if (_type.Results.Length == 1) LdSlot(_stack.Count - 1);
            return;
        }
        // No depth to undo: the caller restores its own after a call to a counting function (CallGraph).
        var results = _type.Results;
        int b = _stack.Count - results.Length;
        if (SelfBody != null)
        {
            EmitFuelPassingReturn(b);
            return;
        }
        SpillFuel();
        if (results.Length == 1)
        {
            LdSlot(b);
        }
        else if (results.Length > 1)
        {
            for (int i = 0; i < results.Length; i++) StoreScratch(_il, _st, i, results[i], Slot(b + i, results[i]));
        }
        _il.Emit(OpCodes.Ret);
    }

    /// <summary>Stores local <paramref name="value"/> of type <paramref name="t"/> into result scratch slot <paramref name="i"/>.</summary>
    internal static void StoreScratch<TIl>(TIl il, LocalBuilder st, int i, ValType t, LocalBuilder value) where TIl : IIlEmitter
    {
        if (t == ValType.V128)
        {
            il.Emit(OpCodes.Ldloc, st);
            il.Emit(OpCodes.Ldfld, ClrTypes.StVecs);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldloc, value);
            il.Emit(OpCodes.Stelem, ClrTypes.Of(t));
            return;
        }
        il.Emit(OpCodes.Ldloc, st);
        il.Emit(OpCodes.Ldfld, t.IsRef() ? ClrTypes.StRefs : ClrTypes.StBits);
        il.Emit(OpCodes.Ldc_I4, i);
        il.Emit(OpCodes.Ldloc, value);
        switch (t)
        {
            case ValType.I32: il.Emit(OpCodes.Conv_I8); break;
            case ValType.F32: il.Emit(OpCodes.Call, ClrTypes.Numeric(nameof(Numerics.F32Bits))); il.Emit(OpCodes.Conv_I8); break;
            case ValType.F64: il.Emit(OpCodes.Call, ClrTypes.Numeric(nameof(Numerics.F64Bits))); break;
        }
        il.Emit(t.IsRef() ? OpCodes.Stelem_Ref : OpCodes.Stelem_I8);
    }

    /// <summary>Pushes result scratch slot <paramref name="i"/> of type <paramref name="t"/> onto the IL stack.</summary>
    internal static void LoadScratch<TIl>(TIl il, LocalBuilder st, int i, ValType t) where TIl : IIlEmitter
    {
        if (t == ValType.V128)
        {
            il.Emit(OpCodes.Ldloc, st);
            il.Emit(OpCodes.Ldfld, ClrTypes.StVecs);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldelem, ClrTypes.Of(t));
            return;
        }
        il.Emit(OpCodes.Ldloc, st);
        il.Emit(OpCodes.Ldfld, t.IsRef() ? ClrTypes.StRefs : ClrTypes.StBits);
        il.Emit(OpCodes.Ldc_I4, i);
        il.Emit(t.IsRef() ? OpCodes.Ldelem_Ref : OpCodes.Ldelem_I8);
        switch (t)
        {
            case ValType.I32: il.Emit(OpCodes.Conv_I4); break;
            case ValType.F32: il.Emit(OpCodes.Conv_I4); il.Emit(OpCodes.Call, ClrTypes.Numeric(nameof(Numerics.F32FromBits))); break;
            case ValType.F64: il.Emit(OpCodes.Call, ClrTypes.Numeric(nameof(Numerics.F64FromBits))); break;
        }
    }

    private void PushResults(FuncType ft)
    {
        if (ft.Results.Length == 1)
        {
            Push(ft.Results[0]);
        }
        else if (ft.Results.Length > 1)
        {
            for (int i = 0; i < ft.Results.Length; i++)
            {
                LoadScratch(_il, _st, i, ft.Results[i]);
                Push(ft.Results[i]);
            }
        }
    }

    private void EmitCalli(FuncType ft, LocalBuilder fn)
    {
        Ldloc(fn);
        _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.FnCtx);
        Ldloc(fn);
        _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.FnEntry);
        SpillFuel();
        PublishDepth();
        _il.EmitCalli(ft);
        RestoreDepth(); // the target may be a counting function
        ReloadFuel();
        CheckFuel(); // host functions charge fuel too (their cost is the host's to set)
    }

    /// <summary>
    /// Before a call that reads <see cref="ExecState.Depth"/> (to another function, an import, a table), in a
    /// fuel-passing body: stores this frame's (or copy's) depth, which its entry only checked.
    /// </summary>
    private void PublishDepth()
    {
        if (_root.SelfBody != null) RestoreDepth();
    }

    /// <summary>After a call that may have counted depth: stores this frame's depth back (see <see cref="CallGraph"/>).</summary>
    private void RestoreDepth()
    {
        Ldloc(_st);
        LdDepth();
        _tokens.Emit(_il, OpCodes.Stfld, ClrTypes.StDepth);
    }

    private void EmitCall(uint index)
    {
        var ft = _m.FunctionType((int)index);
        if (index - _m.ImportedFunctionCount == _index && CanInlineSelf())
        {
            InlineSelf();
            return;
        }
        if (index - _m.ImportedFunctionCount == _index && _root.SelfBody is { } body)
        {
            EmitFuelPassingSelfCall(body);
            return;
        }
        if (index >= _m.ImportedFunctionCount)
        {
            Operands(ft.Params.Length);
            LdCtx();
            SpillFuel();
            PublishDepth();
            if (_root.Direct is { } direct && direct[index - _m.ImportedFunctionCount])
            {
                EmitFuelBodyCall(ft, _methods[index - _m.ImportedFunctionCount], _calls.Counts[index - _m.ImportedFunctionCount]);
                return;
            }
            _il.Emit(OpCodes.Call, _methods[index - _m.ImportedFunctionCount]);
            if (_calls.Counts[index - _m.ImportedFunctionCount]) RestoreDepth();
            ReloadFuel();
            CheckFuel();
        }
        else
        {
            var fn = TmpFn();
            LdCtx();
            _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.InstFunctions);
            _il.Emit(OpCodes.Ldc_I4, (int)index);
            _il.Emit(OpCodes.Ldelem_Ref);
            Stloc(fn);
            Operands(ft.Params.Length);
            EmitCalli(ft, fn);
        }
        ReloadMemory();
        PushResults(ft);
    }

    private void EmitCallIndirect(uint typeIndex, uint table)
    {
        var ft = _m.Types[(int)typeIndex];
        var fn = TmpFn();
        LdCtx();
        _il.Emit(OpCodes.Ldc_I4, (int)table);
        Operands(1);
        _il.Emit(OpCodes.Ldc_I4, FunctionInstance.CanonicalTypeId(ft));
        _tokens.Emit(_il, OpCodes.Call, ClrTypes.Op(nameof(Ops.Indirect)));
        Stloc(fn);
        Operands(ft.Params.Length);
        EmitCalli(ft, fn);
        ReloadMemory();
        PushResults(ft);
    }

    private void EmitF32Const(uint bits)
    {
        float f = BitConverter.Int32BitsToSingle((int)bits);
        string? field = bits switch
        {
            0x00000000 => nameof(FloatConstants.F32Zero),
            0x80000000 => nameof(FloatConstants.F32NegZero),
            0x3F800000 => nameof(FloatConstants.F32One),
            0xBF800000 => nameof(FloatConstants.F32NegOne),
            _ => null,
        };
        if (field != null)
        {
            _tokens.Emit(_il, OpCodes.Ldsfld, typeof(FloatConstants).GetField(field)!);
        }
        else if (float.IsNaN(f))
        {
            _il.Emit(OpCodes.Ldc_I4, (int)bits);
            _tokens.Emit(_il, OpCodes.Call, ClrTypes.FloatConst(nameof(FloatConstants.F32)));
        }
        else
        {
            _il.Emit(OpCodes.Ldc_R4, f);
        }
    }

    private void EmitF64Const(ulong bits)
    {
        double d = BitConverter.Int64BitsToDouble((long)bits);
        string? field = bits switch
        {
            0x0000000000000000 => nameof(FloatConstants.F64Zero),
            0x8000000000000000 => nameof(FloatConstants.F64NegZero),
            0x3FF0000000000000 => nameof(FloatConstants.F64One),
            0xBFF0000000000000 => nameof(FloatConstants.F64NegOne),
            _ => null,
        };
        if (field != null)
        {
            _tokens.Emit(_il, OpCodes.Ldsfld, typeof(FloatConstants).GetField(field)!);
        }
        else if (double.IsNaN(d))
        {
            _il.Emit(OpCodes.Ldc_I8, (long)bits);
            _tokens.Emit(_il, OpCodes.Call, ClrTypes.FloatConst(nameof(FloatConstants.F64)));
        }
        else
        {
            _il.Emit(OpCodes.Ldc_R8, d);
        }
    }
}
