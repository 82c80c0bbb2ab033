using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

/// <summary>The vector part of a vectorised counting loop (<see cref="VectorLoop"/>), emitted at its entry.</summary>
internal sealed partial class FunctionCompiler
{
    // Declared at the first vectorised loop, shared by all: the vector part's bytes per stream, its counter value at
    // the end, and v128 temporaries (splats of invariants, values used twice) reused from loop to loop.
    private LocalBuilder? _vecBytes, _vecEnd;
    private List<LocalBuilder>? _vecTemps, _vecTemps256;
    private int _vecTempsUsed, _vecTemps256Used;
    // The loop being emitted is over v128 elements: Vector256 values, VectorLoopOps' lane operations.
    private bool _vecWide;

    private static readonly Dictionary<string, System.Reflection.MethodInfo> VecOps =
        typeof(VectorLoopOps).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static).ToDictionary(m => m.Name);

    private static System.Reflection.MethodInfo VecOp(string name) => VecOps[name];

    private static readonly System.Reflection.MethodInfo VecLoad = VecOp(nameof(VectorLoopOps.Load)), VecStore = VecOp(nameof(VectorLoopOps.Store)),
        VecLoad256 = VecOp(nameof(VectorLoopOps.Load256)), VecStore256 = VecOp(nameof(VectorLoopOps.Store256)),
        VecJoin = VecOp(nameof(VectorLoopOps.Join)), VecConst256 = VecOp(nameof(VectorLoopOps.Const256));

    /// <summary>
    /// On the path where the fuel covers all t iterations (<see cref="_trips"/> = t − 1, the bound already n): runs
    /// J = ⌊(t − 1) / VF⌋ · VF iterations as J / VF vector groups when every stream's bytes for them are inside the
    /// memory, and leaves the counter J steps on, so the scalar loop that follows runs the t − J ≥ 1 others.
    /// </summary>
    /// <remarks>
    /// <code>
    ///   bytes = ((t − 1) &amp; −VF) · s; if (bytes == 0) go to S
    ///   for each stream base (C, O): if ((u32)(i + C) + O + bytes > memory length) go to S
    ///   end = i + bytes (i32)
    ///   splats of the invariants
    /// V: the statements, one vector per stream at memory + (u32)(i + C) + O; i += VF · s; if (i != end) go to V
    /// S: [the scalar loop]
    /// </code>
    /// The check compares in 64 bits, so a passing stream neither wraps the 32-bit address nor leaves the memory, and
    /// copy k's lane address (u32)(i + C_k) + O_k, with C_k ≥ C_0, O_k ≥ O_0 and C_k + O_k = C_0 + O_0 + k·e, is then
    /// copy 0's plus k·e (a wrap of i + C_k would put copy 0's address + k·e at 2^32 or above, past the check). Memory
    /// never shrinks and the body cannot grow it, so the length at entry holds for the whole loop. Nothing in the vector
    /// part traps and its fuel is already charged; the locals the body writes are written again by the scalar part
    /// (each is written before it is read in an iteration), so they end as the scalar loop leaves them.
    /// </remarks>
    private void EmitVectorPart(in CountedLoop loop, VectorLoop plan)
    {
        var il = _il;
        var skip = il.DefineLabel();
        var top = il.DefineLabel();
        var bytes = _vecBytes ??= Declare(typeof(long));
        var end = _vecEnd ??= Declare(typeof(int));
        _vecTempsUsed = _vecTemps256Used = 0;
        _vecWide = plan.Wide;
        Ldloc(_trips!);
        il.Emit(OpCodes.Ldc_I8, -(long)plan.Vf);
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Ldc_I8, (long)plan.Step);
        il.Emit(OpCodes.Mul);
        Stloc(bytes);
        Ldloc(bytes);
        il.Emit(OpCodes.Brfalse, skip);
        foreach (var (c, o) in plan.Bases)
        {
            LdStreamOffset(loop.Counter, c, o);
            Ldloc(bytes);
            il.Emit(OpCodes.Conv_U);
            il.Emit(OpCodes.Add); // below 2^33 + 2^36: no wrap in 64 bits
            Ldloc(_memLength!);
            il.Emit(OpCodes.Bgt_Un, skip);
        }
        LdLocal(loop.Counter);
        Ldloc(bytes);
        il.Emit(OpCodes.Conv_I4);
        il.Emit(OpCodes.Add);
        Stloc(end);
        var splats = new Dictionary<int, LocalBuilder>();
        foreach (var s in plan.Statements) HoistSplats(s, splats);
        il.MarkLabel(top);
        foreach (var s in plan.Statements)
        {
            if (s.Kind == VectorLoop.Kind.Store)
            {
                LdVectorAddress(loop.Counter, s.C, s.O);
                EmitLanes(s.A!, loop.Counter, splats);
                _tokens.Emit(il, OpCodes.Call, _vecWide ? VecStore256 : VecStore);
            }
            else
            {
                EmitLanes(s.A!, loop.Counter, splats);
                il.Emit(OpCodes.Pop);
            }
        }
        LdLocal(loop.Counter);
        il.Emit(OpCodes.Ldc_I4, plan.Vf * plan.Step);
        il.Emit(OpCodes.Add);
        StLocal(loop.Counter);
        LdLocal(loop.Counter);
        Ldloc(end);
        il.Emit(OpCodes.Bne_Un, top);
        il.MarkLabel(skip);
    }

    private LocalBuilder VectorTemp()
    {
        if (_vecWide)
        {
            var wide = _vecTemps256 ??= [];
            if (_vecTemps256Used == wide.Count) wide.Add(Declare(typeof(System.Runtime.Intrinsics.Vector256<byte>)));
            return wide[_vecTemps256Used++];
        }
        var temps = _vecTemps ??= [];
        if (_vecTempsUsed == temps.Count) temps.Add(Declare(typeof(System.Runtime.Intrinsics.Vector128<byte>)));
        return temps[_vecTempsUsed++];
    }

    /// <summary>Splats each invariant local the tree reads, once, before the vector loop.</summary>
    private void HoistSplats(VectorLoop.Node n, Dictionary<int, LocalBuilder> splats)
    {
        if (n.Hoisted) return; // a node shared by several statements or operands
        n.Hoisted = true;
        if (n.Kind == VectorLoop.Kind.Invariant)
        {
            if (splats.ContainsKey(n.Local)) return;
            LdLocal(n.Local);
            _tokens.Emit(_il, OpCodes.Call, n.Type == ValType.V128 ? VecJoin : ClrTypes.Simd(n.Type switch
            {
                ValType.I32 => nameof(V128Ops.I32x4Splat), ValType.I64 => nameof(V128Ops.I64x2Splat),
                ValType.F32 => nameof(V128Ops.F32x4Splat), _ => nameof(V128Ops.F64x2Splat),
            }));
            var t = VectorTemp();
            Stloc(t);
            splats[n.Local] = t;
            return;
        }
        if (n.A != null) HoistSplats(n.A, splats);
        if (n.B != null) HoistSplats(n.B, splats);
    }

    /// <summary>Pushes memory + (u32)(i + <paramref name="c"/>) + <paramref name="o"/>: lane 0 of a stream, proved in bounds at entry.</summary>
    private void LdVectorAddress(int counter, int c, uint o)
    {
        Ldloc(_memData!);
        LdStreamOffset(counter, c, o);
        _il.Emit(OpCodes.Add);
    }

    /// <summary>Pushes (u32)(i + <paramref name="c"/>) + <paramref name="o"/> as a native unsigned integer (64 bits: no wrap).</summary>
    private void LdStreamOffset(int counter, int c, uint o)
    {
        var il = _il;
        LdLocal(counter);
        if (c != 0)
        {
            il.Emit(OpCodes.Ldc_I4, c);
            il.Emit(OpCodes.Add);
        }
        il.Emit(OpCodes.Conv_U);
        if (o != 0)
        {
            il.Emit(OpCodes.Ldc_I8, (long)o);
            il.Emit(OpCodes.Conv_U);
            il.Emit(OpCodes.Add);
        }
    }

    /// <summary>Pushes the v128 of a value's lanes: evaluated at its first use, kept in a temporary when shared.</summary>
    private void EmitLanes(VectorLoop.Node n, int counter, Dictionary<int, LocalBuilder> splats)
    {
        var il = _il;
        if (n.Temp != null)
        {
            Ldloc(n.Temp);
            return;
        }
        switch (n.Kind)
        {
            case VectorLoop.Kind.Const:
            {
                // Lane L holds copy L mod u's constant (a v128: its two halves).
                Span<long> parts = stackalloc long[4];
                parts.Clear();
                int w = n.Type is ValType.I64 or ValType.F64 ? 8 : 4, u = n.Lanes!.Length;
                if (_vecWide)
                {
                    for (int l = 0; l < 4; l++) parts[l] = n.Lanes[(l / 2 % (u / 2)) * 2 + (l & 1)];
                    foreach (long p in parts) il.Emit(OpCodes.Ldc_I8, p);
                    _tokens.Emit(il, OpCodes.Call, VecConst256);
                    break;
                }
                for (int l = 0; l < 16 / w; l++)
                {
                    long bits = n.Lanes[l % u];
                    parts[l * w / 8] |= w == 8 ? bits : (bits & 0xFFFFFFFFL) << (l % 2 * 32);
                }
                EmitV128Const(parts[0], parts[1]);
                break;
            }
            case VectorLoop.Kind.Invariant:
                Ldloc(splats[n.Local]);
                break;
            case VectorLoop.Kind.Load:
                LdVectorAddress(counter, n.C, n.O);
                _tokens.Emit(il, OpCodes.Call, _vecWide ? VecLoad256 : VecLoad);
                break;
            case VectorLoop.Kind.Unary:
            {
                EmitLanes(n.A!, counter, splats);
                string name = VectorLoop.LaneOp(n.Op)!;
                if (name.Length != 0) _tokens.Emit(il, OpCodes.Call, LaneMethod(n.Op, name));
                break;
            }
            default: // binary
                EmitLanes(n.A!, counter, splats);
                if (n.B!.Kind == VectorLoop.Kind.Const && n.Op is >= 0x74 and <= 0x76 or >= 0x86 and <= 0x88) il.Emit(OpCodes.Ldc_I4, (int)n.B.Bits);
                else EmitLanes(n.B, counter, splats);
                _tokens.Emit(il, OpCodes.Call, LaneMethod(n.Op, VectorLoop.LaneOp(n.Op)!));
                break;
        }
        if (n.Shared)
        {
            n.Temp = VectorTemp();
            il.Emit(OpCodes.Dup);
            Stloc(n.Temp);
        }
    }

    /// <summary>A lane operation's method: V128Ops' for scalar elements, VectorLoopOps' 32-byte double for a v128 operation.</summary>
    private static System.Reflection.MethodInfo LaneMethod(ushort op, string name) => op >= 0xFD00 ? VecOp(name) : ClrTypes.Simd(name);
}
