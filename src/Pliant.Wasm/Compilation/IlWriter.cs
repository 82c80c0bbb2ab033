using System.Buffers.Binary;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Writes the IL of the compiled wasm functions into a buffer of its own, reused for every method of a batch
/// (<see cref="ModuleCompiler.Emitter"/>: one compilation at a time), instead of through Reflection.Emit's
/// <see cref="ILGenerator"/>: its per-instruction checks, fixup and label arrays, local builders, per-call
/// metadata lookups and the copy it makes when the type is created were a sixth of a module's compile time.
/// </summary>
/// <remarks>
/// The members mirror <see cref="ILGenerator"/>'s (<c>Emit</c>, <c>DefineLabel</c>, <c>MarkLabel</c>,
/// <c>DeclareLocal</c>) and write the same bytes: the same short forms (<c>ldc.i4</c>, <c>ldarg</c>, <c>ldloc</c>,
/// <c>stloc</c>, <c>ldloca</c>), branches in the form the caller names, the same tokens. The max stack is
/// computed by <see cref="ILGenerator"/>'s rule (ECMA-335 III.1.7.5: depth carried along the instruction stream,
/// a label's depth taken from its first branch or mark, a call through a cached token counted as moving the
/// stack by what <see cref="MemberTokens"/> says), so every method's header reads as before. Labels are
/// <see cref="Label"/> values (the struct's one field is the label's index here) and locals are
/// <see cref="LocalBuilder"/>s, so the compiler's declarations read as they did.
/// <para>
/// Reflection.Emit has no public way to give a <see cref="MethodBuilder"/> a finished body (.NET Core dropped
/// <c>SetMethodBody</c>), so <see cref="Finish"/> stores the IL and the local signature in the builder's own
/// fields, which <see cref="TypeBuilder.CreateType"/> reads (where it would otherwise bake an ILGenerator's), and
/// the max stack in a bare generator's. <see cref="Available"/> checks that once per process on a throwaway
/// method (bytes, max stack and local types read back, and the code run); where it fails, every method goes
/// through an <see cref="ILGenerator"/> as before (each call forwarded), slower and the same IL.
/// </para>
/// </remarks>
[SkipLocalsInit] // see FunctionCompiler
internal sealed class IlWriter : IIlEmitter
{
    private const string MethodBuilderType = "System.Reflection.Emit.RuntimeMethodBuilder, System.Private.CoreLib";
    private const string GeneratorType = "System.Reflection.Emit.RuntimeILGenerator, System.Private.CoreLib";

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_ubBody")]
    private static extern ref byte[]? BodyOf([UnsafeAccessorType(MethodBuilderType)] object method);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_localSignature")]
    private static extern ref byte[]? LocalSignatureOf([UnsafeAccessorType(MethodBuilderType)] object method);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_parameterTypes")]
    private static extern ref Type[]? ParameterTypesOf([UnsafeAccessorType(MethodBuilderType)] object method);

    // Where SetImplementationFlags keeps the flags before it writes them to the method's metadata row (which first
    // forces the row: the method's token, its signature blob and a native DefineMethod, then a second native call to
    // set them). It also marks the method as one that may lack a body, which matters only for methods without IL
    // (CreateType rejects those otherwise): every method given these flags here gets a body (Finish).
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_dwMethodImplFlags")]
    private static extern ref MethodImplAttributes ImplFlagsOf([UnsafeAccessorType(MethodBuilderType)] object method);

    // The runtime's generator class and the method builder's field for it (of that class: no UnsafeAccessor, whose
    // field accessors must name the field's type), and the max stack CreateType gives a method without a generator.
    private static readonly Type? GeneratorClass = Type.GetType(GeneratorType);
    private static readonly FieldInfo? GeneratorField = Type.GetType(MethodBuilderType)?.GetField("m_ilGenerator", BindingFlags.NonPublic | BindingFlags.Instance);
    private const int DefaultMaxStack = 16;

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_maxDepth")]
    private static extern ref int MaxDepthOf([UnsafeAccessorType(GeneratorType)] object il);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_depthAdjustment")]
    private static extern ref long DepthAdjustmentOf([UnsafeAccessorType(GeneratorType)] object il);


    /// <summary>Why <see cref="Available"/> is false (tests and diagnostics); null where it is true. Assigned by the probe only (no initialiser).</summary>
    internal static string? ProbeFailure;

    /// <summary>Tests: this thread's writers forward to an <see cref="ILGenerator"/> (the path taken where <see cref="Available"/> is false).</summary>
    [ThreadStatic] internal static bool ForceGenerator;

    private readonly MemberTokens _tokens;
    private MethodBuilder? _method;
    // Where the fast path is off: the method's generator, every call forwarded to it.
    private ILGenerator? _gen;

    private byte[] _code = new byte[4096];
    private int _length;

    // Labels by index: position (-1 until marked) and stack depth (-1 unknown).
    private int[] _labelPos = new int[64], _labelDepth = new int[64];
    private int _labelCount;

    // Branch operands to fill in: where, for which label, 1 or 4 bytes, and the offset the distance is measured from.
    private int[] _fixPos = new int[64], _fixLabel = new int[64], _fixEnd = new int[64];
    private byte[] _fixSize = new byte[64];
    private int _fixCount;

    // The local signature's entries (ECMA-335 II.23.2.6), without its header and count.
    private byte[] _locals = new byte[256];
    private int _localsLength, _localCount;

    // ILGenerator's stack tracking: current depth (-1: unknown, after an unconditional jump), depth at the last
    // instruction's branch target, running maximum, and what invalid IL would add (never, for the compiler's IL).
    private int _depth, _targetDepth, _maxDepth;
    private long _depthAdjustment;

    // The probe's writer: the fast path before Available is known.
    private bool _probing;

    public IlWriter(MemberTokens tokens) => _tokens = tokens;

    /// <summary>
    /// Defines a public static method of compiled code on <paramref name="type"/>: fully optimised at first call
    /// (<see cref="MethodImplAttributes.AggressiveOptimization"/>: wasm code is hot by construction, no tier-0 pass) and
    /// without blanket zeroing of its frame (<see cref="MethodBuilder.InitLocals"/> false: the compiler zeroes the wasm
    /// locals itself). Where the fast path is on, the flags are stored where <see cref="MethodBuilder.SetImplementationFlags"/>
    /// keeps them before the method's metadata row is written, which writes them with it (the runtime sets a new row's
    /// impl flags from that field): one native call per method fewer than SetImplementationFlags, which writes them
    /// again after forcing the row. The metadata is otherwise the same, row for row.
    /// </summary>
    internal static MethodBuilder DefineCompiledMethod(TypeBuilder type, string name, Type returnType, Type[] parameters)
    {
        var method = type.DefineMethod(name, MethodAttributes.Public | MethodAttributes.Static, returnType, parameters);
        if ((Available && !ForceGenerator) || _probingFlags)
        {
            ImplFlagsOf(method) = MethodImplAttributes.AggressiveOptimization;
            // The row now, as SetImplementationFlags forces it: the TypeRefs its signature adds get the same rows
            // as before (a calli signature or a local's type names them by row), and its token the same number.
            _ = method.MetadataToken;
        }
        else
        {
            method.SetImplementationFlags(MethodImplAttributes.AggressiveOptimization);
        }
        method.InitLocals = false;
        return method;
    }

    // The probe's methods take the fast path's flags before Available is known (set by the type initialiser's thread alone).
    private static bool _probingFlags;

    /// <summary>Tests: the IL written so far in the current method (branch distances not yet filled in).</summary>
    internal ReadOnlySpan<byte> Written => _code.AsSpan(0, _length);

    /// <summary>Tests: whether this runtime's <see cref="OpCode"/> holds its value in its first four bytes (the writer reads it there).</summary>
    internal static bool ReadsOpCodeValueInPlace => OpCodeValueInPlace;

    /// <summary>Bytes of IL written so far in the current method.</summary>
    public int ILOffset => _gen?.ILOffset ?? _length;

    /// <summary>Starts the body of <paramref name="method"/> (a method of the batch's module without a body yet); <paramref name="sizeHint"/> sizes the fallback generator.</summary>
    public void Begin(MethodBuilder method, int sizeHint)
    {
        _method = method;
        _length = _labelCount = _fixCount = _localsLength = _localCount = 0;
        _depth = _targetDepth = _maxDepth = 0;
        _depthAdjustment = 0;
        _gen = (Available && !ForceGenerator) || _probing ? null : method.GetILGenerator(sizeHint);
    }

    /// <summary>
    /// Ends the current method: fills in the branch distances and gives the method its body, local signature
    /// and max stack. Throws as <see cref="ILGenerator"/> would when the type is created if a branch names a
    /// label never marked or a short branch does not reach.
    /// </summary>
    public void Finish()
    {
        var method = _method ?? throw new InvalidOperationException("no method begun");
        _method = null;
        if (_gen != null)
        {
            _gen = null; // CreateType bakes it
            return;
        }
        var code = _code;
        for (int i = 0; i < _fixCount; i++)
        {
            int target = _labelPos[_fixLabel[i]];
            if (target < 0) throw new InvalidOperationException($"IL label {_fixLabel[i]} is branched to but never marked");
            int distance = target - _fixEnd[i];
            if (_fixSize[i] == 1)
            {
                if (distance is < sbyte.MinValue or > sbyte.MaxValue) throw new NotSupportedException($"short branch at IL offset {_fixPos[i] - 1} cannot reach {distance} bytes");
                code[_fixPos[i]] = (byte)distance;
            }
            else
            {
                Unsafe.WriteUnaligned(ref code[_fixPos[i]], BitConverter.IsLittleEndian ? distance : BinaryPrimitives.ReverseEndianness(distance));
            }
        }
        if (_length == 0) throw new InvalidOperationException("empty method body");
        BodyOf(method) = code.AsSpan(0, _length).ToArray();
        LocalSignatureOf(method) = LocalSignature();
        // CreateType takes the max stack from the method's generator (16 without one), which reads nothing else of it
        // once the method has a body: a bare one carries the max stack (GetILGenerator would build a whole one, ~1 µs).
        if (_maxDepth + _depthAdjustment != DefaultMaxStack)
        {
            var holder = RuntimeHelpers.GetUninitializedObject(GeneratorClass!);
            MaxDepthOf(holder) = _maxDepth;
            DepthAdjustmentOf(holder) = _depthAdjustment;
            GeneratorField!.SetValue(method, holder);
        }
    }

    /// <summary>The LocalVarSig blob (ECMA-335 II.23.2.6): LOCAL_SIG, the compressed count, the entries.</summary>
    private byte[] LocalSignature()
    {
        int count = _localCount;
        int head = count <= 0x7F ? 1 : count <= 0x3FFF ? 2 : 4;
        var sig = new byte[1 + head + _localsLength];
        sig[0] = 0x07;
        if (head == 1) sig[1] = (byte)count;
        else if (head == 2) { sig[1] = (byte)(0x80 | (count >> 8)); sig[2] = (byte)count; }
        else { sig[1] = (byte)(0xC0 | (count >> 24)); sig[2] = (byte)(count >> 16); sig[3] = (byte)(count >> 8); sig[4] = (byte)count; }
        _locals.AsSpan(0, _localsLength).CopyTo(sig.AsSpan(1 + head));
        return sig;
    }

    /// <summary>Declares a local of type <paramref name="t"/> (one the local encodings of <see cref="LocalDeclarer"/> cover).</summary>
    public LocalBuilder DeclareLocal(Type t)
    {
        if (_gen != null) return _gen.DeclareLocal(t);
        var encoding = EncodingOf(t);
        int at = _localsLength;
        if (at + encoding.Length > _locals.Length) Array.Resize(ref _locals, Math.Max(_locals.Length * 2, at + encoding.Length));
        // One to a few bytes: copied in place (a span copy is a call).
        ref byte to = ref MemoryMarshal.GetArrayDataReference(_locals);
        for (int i = 0; i < encoding.Length; i++) Unsafe.Add(ref to, at + i) = encoding[i];
        _localsLength = at + encoding.Length;
        return new Local(_localCount++, t);
    }

    // The encodings of the local types declared so far through this writer (its batch's tokens in them), by type
    // reference: the compiler declares a dozen kinds, and a scan of them costs less than a dictionary lookup or the
    // chain of primitive type tests in front of it.
    private readonly Type?[] _encodedTypes = new Type?[16];
    private readonly byte[]?[] _encodings = new byte[]?[16];
    private int _encodedCount;

    private byte[] EncodingOf(Type t)
    {
        var types = _encodedTypes;
        int n = _encodedCount;
        for (int i = 0; i < n; i++)
            if (ReferenceEquals(types[i], t)) return _encodings[i]!;
        var encoding = _tokens.LocalEncoding(t);
        if (n < types.Length)
        {
            types[n] = t;
            _encodings[n] = encoding;
            _encodedCount = n + 1;
        }
        return encoding;
    }

    /// <summary>A local of a method written by an <see cref="IlWriter"/>.</summary>
    private sealed class Local(int index, Type type) : LocalBuilder
    {
        public readonly int Index = index;
        public override int LocalIndex => Index;
        public override Type LocalType => type;
        public override bool IsPinned => false;
    }

    /// <summary>The index of <paramref name="local"/>: a field read for this writer's locals (no virtual call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IndexOf(LocalBuilder local) => local is Local mine ? mine.Index : local.LocalIndex;

    /// <summary>Emits <c>ldloc</c> of <paramref name="local"/> in its shortest form: what <c>Emit(OpCodes.Ldloc, local)</c> emits.</summary>
    public void Ldloc(LocalBuilder local)
    {
        if (_gen != null)
        {
            _gen.Emit(OpCodes.Ldloc, local);
            return;
        }
        EmitLocal(IndexOf(local), SlotLdloc0, SlotLdlocS, SlotLdloc & 0xFF, 1);
    }

    /// <summary>Emits <c>stloc</c> of <paramref name="local"/> in its shortest form: what <c>Emit(OpCodes.Stloc, local)</c> emits.</summary>
    public void Stloc(LocalBuilder local)
    {
        if (_gen != null)
        {
            _gen.Emit(OpCodes.Stloc, local);
            return;
        }
        EmitLocal(IndexOf(local), SlotStloc0, SlotStlocS, SlotStloc & 0xFF, -1);
    }

    /// <summary>Defines a label to branch to; <see cref="MarkLabel"/> places it.</summary>
    public Label DefineLabel()
    {
        if (_gen != null) return _gen.DefineLabel();
        int id = _labelCount++;
        if (id == _labelPos.Length)
        {
            Array.Resize(ref _labelPos, id * 2);
            Array.Resize(ref _labelDepth, id * 2);
        }
        _labelPos[id] = -1;
        _labelDepth[id] = -1;
        return Unsafe.BitCast<int, Label>(id);
    }

    /// <summary>Places <paramref name="label"/> at the current offset (once).</summary>
    public void MarkLabel(Label label)
    {
        if (_gen != null)
        {
            _gen.MarkLabel(label);
            return;
        }
        int id = Unsafe.BitCast<Label, int>(label); // the label's index: Label's one field
        if ((uint)id >= (uint)_labelCount) throw new ArgumentException($"IL label {id} is not defined in this method");
        if (_labelPos[id] != -1) throw new ArgumentException($"IL label {id} is marked twice");
        _labelPos[id] = _length;
        // As ILGenerator.MarkLabel: a label first met here takes the current depth (0 after an unconditional jump).
        int depth = _labelDepth[id];
        if (depth < 0)
        {
            if (_depth < 0) _depth = 0;
            _labelDepth[id] = _depth;
        }
        else if (depth < _depth)
        {
            _depthAdjustment += _depth - depth;
            _labelDepth[id] = _depth;
        }
        else if (depth > _depth)
        {
            _depth = depth;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int bytes)
    {
        if (_length + bytes > _code.Length) Grow(bytes);
    }

    private void Grow(int bytes) => Array.Resize(ref _code, Math.Max(_code.Length * 2, _length + bytes));

    // ECMA-335 Partition III opcode values (as slots: a two-byte 0xFE xx opcode at 256 + xx) of the instructions
    // whose short forms are chosen here.
    private const int SlotLdarg0 = 0x02, SlotLdloc0 = 0x06, SlotStloc0 = 0x0A, SlotLdargS = 0x0E, SlotLdargaS = 0x0F, SlotStargS = 0x10,
        SlotLdlocS = 0x11, SlotLdlocaS = 0x12, SlotStlocS = 0x13, SlotLdcI4M1 = 0x15, SlotLdcI4S = 0x1F, SlotLdcI4 = 0x20, SlotCalli = 0x29,
        SlotLdarg = 256 + 0x09, SlotLdarga = 256 + 0x0A, SlotStarg = 256 + 0x0B, SlotLdloc = 256 + 0x0C, SlotLdloca = 256 + 0x0D, SlotStloc = 256 + 0x0E;

    // Per opcode slot: its stack effect by its own behaviour (OpCode.EvaluationStackDelta: 0 for a call) in the low
    // byte (signed) and facts above it. Built once from OpCodes: an OpCode's properties are calls into CoreLib that
    // precompiled (ReadyToRun) code cannot inline. Each writer keeps the table in a field: precompiled code reaches
    // a static through a helper call in every method that reads one, a field through one load.
    private const int TwoByte = 1 << 8, EndsBlock = 2 << 8, ShortOperand = 4 << 8, NoOperand = 8 << 8;
    private static readonly int[] OpTable = BuildOpTable();
    private readonly int[] _ops = OpTable;

    // Whether an OpCode's first four bytes hold its value (checked on every OpCodes member, as BuildOpTable reads them):
    // the slot is then read from the struct itself, without a call to OpCode.Value per instruction.
    private static readonly bool OpCodeValueInPlace = ValueInPlace();
    private readonly bool _valueInPlace = OpCodeValueInPlace;

    private static IEnumerable<OpCode> AllOpCodes() =>
        typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!);

    private static int[] BuildOpTable()
    {
        var table = new int[512];
        foreach (var op in AllOpCodes())
        {
            int slot = Slot(op.Value);
            // An instruction that does not fall through (br, leave, ret, throw, rethrow, jmp, endfinally, endfilter):
            // the depth after it is unknown until a label gives it (ILGenerator's EndsUncondJmpBlk).
            bool ends = op.FlowControl is FlowControl.Branch or FlowControl.Return or FlowControl.Throw || op == OpCodes.Jmp;
            table[slot] = (byte)(sbyte)op.EvaluationStackDelta | (op.Size == 2 ? TwoByte : 0) | (ends ? EndsBlock : 0)
                | (op.OperandType is OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar ? ShortOperand : 0)
                | (op.OperandType == OperandType.InlineNone ? NoOperand : 0);
        }
        return table;
    }

    private static bool ValueInPlace()
    {
        if (Unsafe.SizeOf<OpCode>() < sizeof(int)) return false;
        foreach (var op in AllOpCodes())
        {
            var copy = op;
            if ((short)Unsafe.As<OpCode, int>(ref copy) != op.Value) return false;
        }
        return true;
    }

    /// <summary>The stack effect in a table entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DeltaOf(int entry) => (sbyte)entry;

    /// <summary>The table slot of <paramref name="op"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(OpCode op) => Slot(_valueInPlace ? (short)Unsafe.As<OpCode, int>(ref op) : op.Value);

    /// <summary>The table slot of an opcode value: one-byte opcodes at their value, <c>0xFE xx</c> at 256 + xx.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(short value) => (value & 0xFF) | (value < 0 ? 256 : 0);

    /// <summary>Where the next byte of IL goes (room for the instruction ensured by the caller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref byte At(int offset) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_code), offset);

    /// <summary>Writes the opcode of <paramref name="slot"/> and counts its stack effect <paramref name="delta"/> (room for it is ensured).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Put(int slot, int delta, int entry)
    {
        int at = _length;
        if (slot >= 256) At(at++) = 0xFE;
        At(at++) = (byte)slot;
        _length = at;
        Stack(delta, (entry & EndsBlock) != 0);
    }

    /// <summary>ILGenerator.UpdateStackSize: the depth after an instruction moving it by <paramref name="delta"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Stack(int delta, bool endsBlock)
    {
        int depth = _depth < 0 ? 0 : _depth;
        depth += delta;
        if (depth < 0)
        {
            _depthAdjustment -= depth;
            depth = 0;
        }
        else if (depth > _maxDepth)
        {
            _maxDepth = depth;
        }
        _depth = endsBlock ? -1 : depth;
        _targetDepth = depth;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PutInt16(short value)
    {
        Unsafe.WriteUnaligned(ref At(_length), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        _length += 2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PutInt32(int value)
    {
        // ECMA-335 II.3.1: operands little-endian. Room ensured by the caller.
        Unsafe.WriteUnaligned(ref At(_length), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        _length += 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PutInt64(long value)
    {
        Unsafe.WriteUnaligned(ref At(_length), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        _length += 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // one call per instruction from the compiler, not two
    private void EmitSlot(int slot)
    {
        Ensure(2);
        int entry = _ops[slot];
        Put(slot, DeltaOf(entry), entry);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // one call per instruction from the compiler, not two
    private void EmitSlot(int slot, byte arg)
    {
        Ensure(3);
        int entry = _ops[slot];
        Put(slot, DeltaOf(entry), entry);
        At(_length++) = arg;
    }

    private void EmitSlot(int slot, short arg)
    {
        Ensure(4);
        int entry = _ops[slot];
        Put(slot, DeltaOf(entry), entry);
        PutInt16(arg);
    }

    /// <summary>
    /// <c>ldloc</c>/<c>stloc</c> of local <paramref name="index"/> in the shortest of their three encodings (ECMA-335
    /// III.3.43, III.3.63): <paramref name="numbered"/> + index below 4, then the one-byte and the <c>0xFE</c> forms,
    /// moving the stack by <paramref name="delta"/> (neither ends a block).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EmitLocal(int index, int numbered, int shortForm, int longForm, int delta)
    {
        Ensure(4);
        int at = _length;
        if (index < 4)
        {
            At(at) = (byte)(numbered + index);
            _length = at + 1;
        }
        else if (index <= byte.MaxValue)
        {
            At(at) = (byte)shortForm;
            At(at + 1) = (byte)index;
            _length = at + 2;
        }
        else
        {
            At(at) = 0xFE;
            At(at + 1) = (byte)longForm;
            _length = at + 2;
            PutInt16((short)index);
        }
        Stack(delta, false);
    }

    /// <summary>Emits an instruction without an operand.</summary>
    public void Emit(OpCode op)
    {
        if (_gen is { } gen) gen.Emit(op);
        else EmitSlot(SlotOf(op));
    }

    /// <summary>Emits an instruction with a one-byte operand.</summary>
    public void Emit(OpCode op, byte arg)
    {
        if (_gen is { } gen) gen.Emit(op, arg);
        else EmitSlot(SlotOf(op), arg);
    }

    /// <summary>Emits an instruction with a signed one-byte operand.</summary>
    public void Emit(OpCode op, sbyte arg) => Emit(op, (byte)arg);

    /// <summary>Emits an instruction with a two-byte operand.</summary>
    public void Emit(OpCode op, short arg)
    {
        if (_gen is { } gen) gen.Emit(op, arg);
        else EmitSlot(SlotOf(op), arg);
    }

    /// <summary>
    /// Emits an instruction with a four-byte operand; <c>ldc.i4</c>, <c>ldarg</c>, <c>ldarga</c> and <c>starg</c>
    /// in their shortest forms (ECMA-335 III.3.40, III.3.38, III.3.39, III.3.61), as <see cref="ILGenerator"/> does.
    /// </summary>
    public void Emit(OpCode op, int arg)
    {
        if (_gen != null)
        {
            _gen.Emit(op, arg);
            return;
        }
        int slot = SlotOf(op);
        switch (slot)
        {
            case SlotLdcI4 when arg is >= -1 and <= 8:
                EmitSlot(SlotLdcI4M1 + 1 + arg); // ldc.i4.m1 .. ldc.i4.8 are consecutive
                return;
            case SlotLdcI4 when arg is >= sbyte.MinValue and <= sbyte.MaxValue:
                EmitSlot(SlotLdcI4S, (byte)arg);
                return;
            case SlotLdarg when (uint)arg <= 3:
                EmitSlot(SlotLdarg0 + arg); // ldarg.0 .. ldarg.3
                return;
            case SlotLdarg or SlotLdarga or SlotStarg when (uint)arg <= byte.MaxValue:
                EmitSlot(slot == SlotLdarg ? SlotLdargS : slot == SlotLdarga ? SlotLdargaS : SlotStargS, (byte)arg);
                return;
            case SlotLdarg or SlotLdarga or SlotStarg when (uint)arg <= ushort.MaxValue:
                EmitSlot(slot, (short)arg);
                return;
        }
        EmitInt32(slot, arg);
    }

    /// <summary>Emits an instruction with an eight-byte operand.</summary>
    public void Emit(OpCode op, long arg)
    {
        if (_gen is { } gen) gen.Emit(op, arg);
        else EmitSlot(SlotOf(op), arg);
    }

    /// <summary>Emits <c>ldc.r4</c>.</summary>
    public void Emit(OpCode op, float arg)
    {
        if (_gen is { } gen) gen.Emit(op, arg);
        else EmitInt32(SlotOf(op), BitConverter.SingleToInt32Bits(arg));
    }

    /// <summary>Emits <c>ldc.r8</c>.</summary>
    public void Emit(OpCode op, double arg)
    {
        if (_gen is { } gen) gen.Emit(op, arg);
        else EmitSlot(SlotOf(op), BitConverter.DoubleToInt64Bits(arg));
    }

    /// <summary>Emits a branch to <paramref name="label"/> in the form <paramref name="op"/> names (short forms must reach: checked in <see cref="Finish"/>).</summary>
    public void Emit(OpCode op, Label label)
    {
        if (_gen != null)
        {
            _gen.Emit(op, label);
            return;
        }
        int slot = SlotOf(op);
        Ensure(6);
        int entry = _ops[slot];
        Put(slot, DeltaOf(entry), entry);
        int size = (entry & ShortOperand) != 0 ? 1 : 4;
        AddFixup(label, _length, size, _length + size);
        _length += size;
    }

    /// <summary>Emits <c>switch</c> over <paramref name="labels"/> (ECMA-335 III.3.66: distances from the end of the instruction).</summary>
    public void Emit(OpCode op, Label[] labels)
    {
        if (_gen != null)
        {
            _gen.Emit(op, labels);
            return;
        }
        int slot = SlotOf(op);
        int count = labels.Length;
        Ensure(6 + 4 * count);
        int entry = _ops[slot];
        Put(slot, DeltaOf(entry), entry);
        PutInt32(count);
        int end = _length + 4 * count;
        for (int i = 0; i < count; i++)
        {
            AddFixup(labels[i], _length, 4, end);
            _length += 4;
        }
    }

    /// <summary>Records a branch operand and, as ILGenerator.AddFixup, the depth at its label.</summary>
    private void AddFixup(Label label, int pos, int size, int end)
    {
        int id = Unsafe.BitCast<Label, int>(label);
        if ((uint)id >= (uint)_labelCount) throw new ArgumentException($"IL label {id} is not defined in this method");
        int n = _fixCount++;
        if (n == _fixPos.Length)
        {
            Array.Resize(ref _fixPos, n * 2);
            Array.Resize(ref _fixLabel, n * 2);
            Array.Resize(ref _fixEnd, n * 2);
            Array.Resize(ref _fixSize, n * 2);
        }
        _fixPos[n] = pos;
        _fixLabel[n] = id;
        _fixEnd[n] = end;
        _fixSize[n] = (byte)size;
        int depth = _labelDepth[id];
        if (depth < _targetDepth)
        {
            if (depth >= 0) _depthAdjustment += _targetDepth - depth;
            _labelDepth[id] = _targetDepth;
        }
    }

    /// <summary>Emits <paramref name="op"/> on <paramref name="local"/>, <c>ldloc</c>/<c>stloc</c>/<c>ldloca</c> in their shortest forms (ECMA-335 III.3.43, III.3.63, III.3.44).</summary>
    public void Emit(OpCode op, LocalBuilder local)
    {
        if (_gen != null)
        {
            _gen.Emit(op, local);
            return;
        }
        int index = IndexOf(local);
        int slot = SlotOf(op);
        // The common two as Ldloc and Stloc write them.
        if (slot == SlotLdloc)
        {
            EmitLocal(index, SlotLdloc0, SlotLdlocS, SlotLdloc & 0xFF, 1);
            return;
        }
        if (slot == SlotStloc)
        {
            EmitLocal(index, SlotStloc0, SlotStlocS, SlotStloc & 0xFF, -1);
            return;
        }
        if (slot == SlotLdloca && index <= byte.MaxValue) slot = SlotLdlocaS;
        int facts = _ops[slot];
        if ((facts & NoOperand) != 0)
        {
            EmitSlot(slot);
        }
        else if ((facts & ShortOperand) != 0)
        {
            if (index > byte.MaxValue) throw new InvalidOperationException($"local {index} does not fit a one-byte operand");
            EmitSlot(slot, (byte)index);
        }
        else
        {
            EmitSlot(slot, (short)index);
        }
    }

    /// <summary>Emits a field instruction (its token resolved once per batch by <see cref="MemberTokens"/>).</summary>
    public void Emit(OpCode op, FieldInfo field)
    {
        if (_gen is { } gen) gen.Emit(op, field);
        else EmitInt32(SlotOf(op), _tokens.FieldToken(field));
    }

    /// <summary>Emits a type instruction (<c>stelem</c>, <c>ldelem</c>, <c>initobj</c>...).</summary>
    public void Emit(OpCode op, Type type)
    {
        if (_gen is { } gen) gen.Emit(op, type);
        else EmitInt32(SlotOf(op), _tokens.TypeToken(type));
    }

    /// <summary>
    /// Emits a call of <paramref name="method"/>, counted on the stack exactly (its return value pushed, its
    /// arguments and target popped) as <see cref="ILGenerator.EmitCall"/> does: a method of this module
    /// (another wasm function, a fuel-passing body) or a runtime helper.
    /// </summary>
    public void Emit(OpCode op, MethodInfo method)
    {
        if (_gen != null)
        {
            _gen.Emit(op, method);
            return;
        }
        if (method is MethodBuilder builder)
        {
            int parameters = ParameterTypesOf(builder)?.Length ?? 0;
            int delta = (builder.ReturnType != typeof(void) ? 1 : 0) - parameters - (builder.IsStatic ? 0 : 1);
            EmitToken(SlotOf(op), builder.MetadataToken, delta);
            return;
        }
        var (token, exact) = _tokens.MethodToken(method);
        EmitToken(SlotOf(op), token, exact);
    }

    /// <summary>
    /// Emits a call of runtime helper <paramref name="method"/> counted as the old token path counted it: by
    /// <c>call</c>'s own stack behaviour (0: varpop, varpush), except a static method taking nothing and returning
    /// a value (+1). That is at or above the real depth, so the max stack stays what <see cref="ILGenerator"/> gave.
    /// </summary>
    internal void EmitHelperCall(OpCode op, MethodInfo method)
    {
        if (_gen != null)
        {
            _gen.Emit(op, method);
            return;
        }
        var (token, exact) = _tokens.MethodToken(method);
        EmitToken(SlotOf(op), token, Math.Max(exact, 0));
    }

    /// <summary>Emits <c>calli</c> with the signature of a wasm function's method (<see cref="ClrTypes.Params"/>, <see cref="ClrTypes.Return"/>).</summary>
    public void EmitCalli(FuncType ft)
    {
        if (_gen != null)
        {
            _gen.EmitCalli(OpCodes.Calli, CallingConventions.Standard, ClrTypes.Return(ft), ClrTypes.Params(ft), null);
            return;
        }
        int delta = (ft.Results.Length == 1 ? 1 : 0) - (ft.Params.Length + 1) - 1; // the context argument, the function pointer
        EmitToken(SlotCalli, _tokens.CalliToken(ft), delta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // one call per instruction from the compiler, not two
    private void EmitToken(int slot, int token, int delta)
    {
        Ensure(6);
        Put(slot, delta, _ops[slot]);
        PutInt32(token);
    }

    /// <summary>An instruction with a four-byte operand (a token, a constant), counted by its own stack behaviour (ldfld, stfld, stelem, ldc.i4...).</summary>
    private void EmitInt32(int slot, int operand) => EmitToken(slot, operand, DeltaOf(_ops[slot]));

    private void EmitSlot(int slot, long arg)
    {
        Ensure(10);
        int entry = _ops[slot];
        Put(slot, DeltaOf(entry), entry);
        PutInt64(arg);
    }

    /// <summary>
    /// Whether finished bodies can be handed to method builders on this runtime (checked once, on a throwaway method).
    /// Last of the static fields: they are initialised in order, and the probe uses the others.
    /// </summary>
    public static readonly bool Available = Probe();

    /// <summary>
    /// Writes a small method through this writer's fast path (labels both ways, a switch, locals of every kind the
    /// compiler declares, a call of a method of the module, a max stack above the default 16), creates its type and
    /// checks the method reads back with the written bytes, max stack and local types, and runs.
    /// </summary>
    private static bool Probe()
    {
        try
        {
            var ab = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("PliantWasmIlProbe"), AssemblyBuilderAccess.RunAndCollect);
            var module = ab.DefineDynamicModule("probe");
            var tb = module.DefineType("Probe", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract);
            _probingFlags = true;
            MethodBuilder callee, mb;
            try
            {
                callee = DefineCompiledMethod(tb, "g", typeof(int), [typeof(int), typeof(long)]);
                mb = DefineCompiledMethod(tb, "m", typeof(int), [typeof(int)]);
            }
            finally
            {
                _probingFlags = false;
            }
            var w = new IlWriter(new MemberTokens(module)) { _code = new byte[16], _probing = true }; // grows inside the method
            w.Begin(callee, 16);
            w.Emit(OpCodes.Ldarg_0);
            w.Emit(OpCodes.Ldarg_1);
            w.Emit(OpCodes.Conv_I4);
            w.Emit(OpCodes.Add);
            w.Emit(OpCodes.Ret);
            w.Finish();
            w.Begin(mb, 16);
            Type[] kinds = [typeof(int), typeof(long), typeof(float), typeof(double), typeof(nuint), typeof(object), typeof(byte[]), typeof(byte).MakeByRefType(),
                typeof(System.Runtime.Intrinsics.Vector128<byte>), typeof(System.Runtime.Intrinsics.Vector256<byte>), typeof(Runtime.ExecState),
                typeof(Runtime.FunctionInstance), typeof(Runtime.FuelResultI32)];
            var expected = new List<Type>();
            for (int round = 0; round < 24; round++) // past 255 locals: the long ldloc/stloc forms
                foreach (var t in kinds)
                {
                    w.DeclareLocal(t);
                    expected.Add(t);
                }
            var sum = w.DeclareLocal(typeof(int));
            expected.Add(typeof(int));
            var loop = w.DefineLabel();
            var done = w.DefineLabel();
            var one = w.DefineLabel();
            var two = w.DefineLabel();
            // 20 values on the stack at once (max stack 20), summed back to one.
            for (int i = 0; i < 20; i++) w.Emit(OpCodes.Ldc_I4, i);
            for (int i = 0; i < 19; i++) w.Emit(OpCodes.Add);
            w.Emit(OpCodes.Stloc, sum); // 190
            w.MarkLabel(loop);
            w.Emit(OpCodes.Ldarg_0);
            w.Emit(OpCodes.Brfalse, done);
            w.Emit(OpCodes.Ldarg_0);
            w.Emit(OpCodes.Ldc_I4_1);
            w.Emit(OpCodes.Sub);
            w.Emit(OpCodes.Starg_S, (byte)0);
            w.Emit(OpCodes.Ldloc, sum);
            w.Emit(OpCodes.Ldc_I4, 1000);
            w.Emit(OpCodes.Ldc_I8, 2L);
            w.Emit(OpCodes.Call, callee);
            w.Emit(OpCodes.Add);
            w.Emit(OpCodes.Stloc, sum);
            w.Emit(OpCodes.Br_S, loop);
            w.MarkLabel(done);
            w.Emit(OpCodes.Ldloc, sum);
            w.Emit(OpCodes.Ldc_I4_1);
            w.Emit(OpCodes.Switch, [one, two]);
            w.Emit(OpCodes.Ret);
            w.MarkLabel(two);
            w.Emit(OpCodes.Ret);
            w.MarkLabel(one);
            w.Emit(OpCodes.Pop);
            w.Emit(OpCodes.Ldc_I4_M1);
            w.Emit(OpCodes.Ret);
            w.Finish();
            var written = w._code.AsSpan(0, w._length).ToArray(); // with the branch distances filled in
            int maxStack = w._maxDepth;
            var created = tb.CreateType();
            var method = created.GetMethod("m")!;
            var body = method.GetMethodBody()!;
            var locals = body.LocalVariables;
            ProbeFailure = !body.GetILAsByteArray()!.AsSpan().SequenceEqual(written) ? "the IL reads back different"
                : body.MaxStackSize != maxStack || maxStack != 20 ? $"max stack {body.MaxStackSize}, written {maxStack}, expected 20"
                : body.InitLocals ? "InitLocals reads back true"
                : method.MethodImplementationFlags != MethodImplAttributes.AggressiveOptimization || created.GetMethod("g")!.MethodImplementationFlags != MethodImplAttributes.AggressiveOptimization
                    ? $"impl flags read back {method.MethodImplementationFlags}"
                : locals.Count != expected.Count || locals.Where((l, i) => l.LocalType != expected[i]).Any() ? "the locals read back different"
                // 3 iterations of sum + 1002, then the switch's second case returns the sum.
                : (int)method.Invoke(null, [3])! != 190 + 3 * 1002 ? "the method returns a wrong value"
                : null;
            return ProbeFailure == null;
        }
        catch (Exception e)
        {
            ProbeFailure = e.ToString();
            // A runtime with other internals (a missing field, a body not read back): every method goes through ILGenerator.
            // Not rethrown: it would fail this type's initialisation, so every compile.
            return false;
        }
    }
}

/// <summary>The emitting members code shared by <see cref="IlWriter"/> and <see cref="ILGenerator"/> users needs (<see cref="FunctionCompiler.LoadScratch"/>).</summary>
internal interface IIlEmitter
{
    /// <summary>Emits an instruction without an operand.</summary>
    void Emit(OpCode op);

    /// <summary>Emits an instruction with a four-byte operand (the short forms of ldc.i4 and ldarg).</summary>
    void Emit(OpCode op, int arg);

    /// <summary>Emits a local instruction.</summary>
    void Emit(OpCode op, LocalBuilder local);

    /// <summary>Emits a field instruction.</summary>
    void Emit(OpCode op, FieldInfo field);

    /// <summary>Emits a call.</summary>
    void Emit(OpCode op, MethodInfo method);

    /// <summary>Emits a type instruction.</summary>
    void Emit(OpCode op, Type type);
}

/// <summary>An <see cref="ILGenerator"/> as an <see cref="IIlEmitter"/> (EntryStubs' dynamic methods).</summary>
internal readonly struct GeneratorEmitter(ILGenerator il) : IIlEmitter
{
    public void Emit(OpCode op) => il.Emit(op);
    public void Emit(OpCode op, int arg) => il.Emit(op, arg);
    public void Emit(OpCode op, LocalBuilder local) => il.Emit(op, local);
    public void Emit(OpCode op, FieldInfo field) => il.Emit(op, field);
    public void Emit(OpCode op, MethodInfo method) => il.Emit(op, method);
    public void Emit(OpCode op, Type type) => il.Emit(op, type);
}
