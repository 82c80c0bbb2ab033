using System.Reflection.Emit;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// The plan of a vectorised <see cref="CountedLoop"/> (the rule: src/Pliant.Wasm/README.md, "Vectorised counting
/// loops"): an i32 counter stepping by s ∈ {4, 8, 16, 32} bytes whose body is u = s / e isomorphic copies (clang's
/// unroll) of straight-line statements over e-byte elements (e ∈ {4, 8}, or 16 for v128) at <c>counter + C</c> (+ the
/// memarg offset O), so that VF = B / s iterations fill one B-byte vector per stream (B = 16, or 32 for v128 elements:
/// Vector256): lane j·u + k is copy k of iteration j. The copies'
/// statements pair up in order and their trees must be identical apart from constants (a constant that differs per copy
/// becomes a vector constant) and from the address constants, which must step by e from copy to copy. Only operations
/// whose SIMD lane operation is exactly the scalar one per lane are taken (<see cref="LaneOp"/>), plus loads, stores,
/// constants and locals the loop never writes (splats). A local the body writes must be written before it is read in
/// the iteration (no value is carried from one iteration to the next except the counter). Streams (a copy-0 access and
/// its lanes) at the same address constant touch the same bytes per lane; any other two streams, one of them a store,
/// must be a whole number of elements and at least B bytes apart (mod 2^32), so no vector group reorders two accesses
/// to one byte.
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal sealed class VectorLoop
{
    /// <summary>For tests: set on a thread, its compilations vectorise nothing (the reference the others must match).</summary>
    [ThreadStatic] internal static bool Disabled;

    /// <summary>For tests: loops vectorised by this thread's compilations so far.</summary>
    [ThreadStatic] internal static int Vectorized;

    /// <summary>Bytes per vector: 16, or 32 over v128 elements (two per <c>Vector256</c>).</summary>
    public readonly int Bytes;

    /// <summary>Over v128 elements: the vectors are <c>Vector256</c> and the lane operations <see cref="Runtime.VectorLoopOps"/>'.</summary>
    public bool Wide => Bytes == 32;

    /// <summary>Most statements (stores and <c>local.set</c>s) per body.</summary>
    private const int MaxStatements = 64;

    internal enum Kind : byte { Const, Invariant, Counter, Address, Load, Unary, Binary, Store, Set }

    /// <summary>A value of one copy of the body (the copy-0 node stands for all lanes once matched), or a statement.</summary>
    internal sealed class Node
    {
        public Kind Kind;
        public ushort Op;
        public ValType Type;
        public Node? A, B;
        /// <summary>
        /// A constant's bits (a v128's low half, <see cref="Hi"/> its high); for copy-0 constants after matching, the
        /// bits per copy in <see cref="Lanes"/> (two per copy for a v128: low, high).
        /// </summary>
        public long Bits, Hi;
        public long[]? Lanes;
        /// <summary>An invariant's local.</summary>
        public int Local;
        /// <summary>An address's constant C (counter + C), and an access's memarg offset O.</summary>
        public int C;
        public uint O;
        /// <summary>The copy whose statements created it.</summary>
        public int Copy;
        /// <summary>Operand uses; a node used more than once, or written to a local, is kept in a temporary.</summary>
        public int Refs;
        public bool Keep;
        /// <summary>Matching: the copy-0 node a copy-k node pairs with, and (copy 0) the last k it paired with.</summary>
        public Node? MapsTo;
        public int TakenFor;
        /// <summary>A constant folded into an address.</summary>
        public bool Folded;
        /// <summary>Set by the emitter at the node's first evaluation.</summary>
        public LocalBuilder? Temp;
        /// <summary>Set by the emitter when it hoists the splats of the node's tree (each node once).</summary>
        public bool Hoisted;

        public bool Shared => Keep || Refs > 1;
    }

    /// <summary>Iterations per vector group, and the step in bytes.</summary>
    public readonly int Vf, Step;
    /// <summary>Copy 0's statements in program order.</summary>
    public readonly Node[] Statements;
    /// <summary>The distinct (C, O) of the streams: the entry checks each stream's last byte once.</summary>
    public readonly (int C, uint O)[] Bases;

    private VectorLoop(int bytes, int step, Node[] statements, (int, uint)[] bases) =>
        (Bytes, Vf, Step, Statements, Bases) = (bytes, bytes / step, step, statements, bases);

    /// <summary>
    /// The SIMD lane method (<see cref="Runtime.V128Ops"/>) of a scalar operation whose lane semantics are exactly its
    /// own (IEEE arithmetic, bit operations on signs, wrapping integer arithmetic, shifts by a constant), "" for a
    /// reinterpretation (no code), null for everything else. min, max and copysign are left out: the lane min/max return
    /// the canonical NaN where the scalar code may return an operand's NaN (both allowed, not the same bits).
    /// </summary>
    internal static string? LaneOp(ushort op) => op switch
    {
        0x6A => "I32x4Add", 0x6B => "I32x4Sub", 0x6C => "I32x4Mul", 0x71 or 0x83 => "And", 0x72 or 0x84 => "Or", 0x73 or 0x85 => "Xor",
        0x74 => "I32x4Shl", 0x75 => "I32x4ShrS", 0x76 => "I32x4ShrU",
        0x7C => "I64x2Add", 0x7D => "I64x2Sub", 0x7E => "I64x2Mul", 0x86 => "I64x2Shl", 0x87 => "I64x2ShrS", 0x88 => "I64x2ShrU",
        0x8B => "F32x4Abs", 0x8C => "F32x4Neg", 0x91 => "F32x4Sqrt", 0x92 => "F32x4Add", 0x93 => "F32x4Sub", 0x94 => "F32x4Mul", 0x95 => "F32x4Div",
        0x99 => "F64x2Abs", 0x9A => "F64x2Neg", 0x9F => "F64x2Sqrt", 0xA0 => "F64x2Add", 0xA1 => "F64x2Sub", 0xA2 => "F64x2Mul", 0xA3 => "F64x2Div",
        0xBC or 0xBD or 0xBE or 0xBF => "",
        // v128 operations (0xFD prefix), as their 32-byte doubles in VectorLoopOps.
        0xFD4E => "And256", 0xFD50 => "Or256", 0xFD51 => "Xor256",
        0xFDAE => "I32x8Add", 0xFDB1 => "I32x8Sub", 0xFDB5 => "I32x8Mul", 0xFDCE => "I64x4Add", 0xFDD1 => "I64x4Sub", 0xFDD5 => "I64x4Mul",
        0xFDE0 => "F32x8Abs", 0xFDE1 => "F32x8Neg", 0xFDE3 => "F32x8Sqrt", 0xFDE4 => "F32x8Add", 0xFDE5 => "F32x8Sub", 0xFDE6 => "F32x8Mul", 0xFDE7 => "F32x8Div",
        0xFDEC => "F64x4Abs", 0xFDED => "F64x4Neg", 0xFDEF => "F64x4Sqrt", 0xFDF0 => "F64x4Add", 0xFDF1 => "F64x4Sub", 0xFDF2 => "F64x4Mul", 0xFDF3 => "F64x4Div",
        _ => null,
    };

    private static bool IsShift(ushort op) => op is >= 0x74 and <= 0x76 or >= 0x86 and <= 0x88;

    private static bool IsUnary(ushort op) => op is 0x8B or 0x8C or 0x91 or 0x99 or 0x9A or 0x9F or >= 0xBC and <= 0xBF
        or 0xFDE0 or 0xFDE1 or 0xFDE3 or 0xFDEC or 0xFDED or 0xFDEF;

    private static ValType ResultOf(ushort op) => op switch
    {
        >= 0xFD00 => ValType.V128,
        >= 0x6A and <= 0x78 or 0xBC => ValType.I32,
        >= 0x7C and <= 0x8A or 0xBD => ValType.I64,
        >= 0x8B and <= 0x98 or 0xBE => ValType.F32,
        _ => ValType.F64,
    };

    private static int Width(ValType t) => t is ValType.I64 or ValType.F64 ? 8 : t == ValType.V128 ? 16 : 4;

    /// <summary>The plan for <paramref name="loop"/> (an i32 counting loop over a memory) when its body qualifies; null otherwise. <paramref name="tables"/>: the body's <see cref="FunctionBody.Tables"/>.</summary>
    public static VectorLoop? TryPlan(Instr[] code, uint[][] tables, in CountedLoop loop, ValType[] localTypes)
    {
        if (Disabled || loop.Wide || loop.Step is not (4 or 8 or 16 or 32)) return null;
        int step = (int)loop.Step, counter = loop.Counter;
        int tee = code[loop.End - 2].Op == 0x22 ? loop.End - 2 : loop.End - 4;
        int from = loop.Loop + 1, to = tee - 3; // the body, without the tail that steps and tests the counter
        // Cheap filter first: a store, nothing outside the vocabulary.
        bool store = false;
        for (int pc = from; pc < to; pc++)
        {
            ushort op = code[pc].Op;
            if (op is >= 0x36 and <= 0x39 or 0xFD0B) store = true;
            else if (op is not (0x20 or 0x21 or 0x22 or (>= 0x28 and <= 0x2B) or (>= 0x41 and <= 0x44) or 0xFD00 or 0xFD0C) && LaneOp(op) == null) return null;
        }
        if (!store) return null;
        // The locals the body writes (few: searched linearly), their values so far this iteration, and the value
        // stack, statements and nodes: arrays of the body's length at most (each instruction makes at most one node).
        int length = to - from, writtenCount = 0, depth = 0, statementCount = 0, nodeCount = 0;
        var written = new int[length];
        for (int pc = from; pc < to; pc++)
            if (code[pc].Op is 0x21 or 0x22 && IndexOf(written, writtenCount, (int)code[pc].Imm) < 0) written[writtenCount++] = (int)code[pc].Imm;
        var current = new Node?[writtenCount];
        var stack = new Node[length];
        var statements = new Node[MaxStatements];
        var nodes = new Node[length];
        int elem = 0;
        Node New(Kind kind, ushort op, ValType type)
        {
            var n = new Node { Kind = kind, Op = op, Type = type, Copy = statementCount };
            nodes[nodeCount++] = n;
            return n;
        }
        Node? Pop()
        {
            if (depth == 0) return null;
            var n = stack[--depth];
            n.Refs++;
            return n;
        }
        static bool IsValue(Node? n) => n != null && n.Kind is not (Kind.Counter or Kind.Address);
        bool Access(Node? addr, ushort op, uint offset, out int c)
        {
            c = 0;
            if (addr == null || addr.Kind is not (Kind.Counter or Kind.Address)) return false;
            c = addr.C;
            int size = op is 0x28 or 0x2A or 0x36 or 0x38 ? 4 : op is 0xFD00 or 0xFD0B ? 16 : 8;
            if (elem != 0 && elem != size) return false;
            elem = size;
            return true;
        }
        for (int pc = from; pc < to; pc++)
        {
            ref readonly var ins = ref code[pc];
            ushort op = ins.Op;
            switch (op)
            {
                case 0x20:
                {
                    int x = (int)ins.Imm;
                    if (x == counter) stack[depth++] = New(Kind.Counter, op, ValType.I32);
                    else if (IndexOf(written, writtenCount, x) is int w && w >= 0)
                    {
                        if (current[w] is not { } v) return null; // read before written: carried from the previous iteration
                        stack[depth++] = v;
                    }
                    else
                    {
                        var inv = New(Kind.Invariant, op, localTypes[x]);
                        inv.Local = x;
                        stack[depth++] = inv;
                    }
                    break;
                }
                case 0x21 or 0x22:
                {
                    var v = Pop();
                    if (v == null) return null;
                    current[IndexOf(written, writtenCount, (int)ins.Imm)] = v;
                    if (IsValue(v))
                    {
                        v.Keep = true;
                        if (op == 0x21)
                        {
                            if (statementCount == MaxStatements) return null;
                            var set = New(Kind.Set, op, v.Type);
                            set.A = v;
                            statements[statementCount++] = set;
                        }
                    }
                    if (op == 0x22) stack[depth++] = v;
                    break;
                }
                case >= 0x41 and <= 0x44 or 0xFD0C:
                {
                    var k = New(Kind.Const, op, op switch { 0x41 => ValType.I32, 0x42 => ValType.I64, 0x43 => ValType.F32, 0x44 => ValType.F64, _ => ValType.V128 });
                    k.Bits = op == 0x43 ? (uint)ins.Imm : ins.Imm;
                    k.Hi = op == 0xFD0C ? ins.High(tables) : 0;
                    stack[depth++] = k;
                    break;
                }
                case 0x6A when depth >= 2 && (stack[depth - 1].Kind == Kind.Counter && stack[depth - 2].Kind == Kind.Const || stack[depth - 2].Kind == Kind.Counter && stack[depth - 1].Kind == Kind.Const):
                {
                    var b = Pop()!;
                    var a = Pop()!;
                    a.Folded = b.Folded = true;
                    var addr = New(Kind.Address, op, ValType.I32);
                    addr.C = (int)(a.Kind == Kind.Const ? a.Bits : b.Bits);
                    stack[depth++] = addr;
                    break;
                }
                case >= 0x28 and <= 0x2B or 0xFD00:
                {
                    if (!Access(Pop(), op, (uint)ins.Imm, out int c)) return null;
                    var load = New(Kind.Load, op, op switch { 0x28 => ValType.I32, 0x29 => ValType.I64, 0x2A => ValType.F32, 0x2B => ValType.F64, _ => ValType.V128 });
                    (load.C, load.O) = (c, (uint)ins.Imm);
                    stack[depth++] = load;
                    break;
                }
                case >= 0x36 and <= 0x39 or 0xFD0B:
                {
                    var v = Pop();
                    // Nothing may stay on the stack across a store: a value computed before it is evaluated after it.
                    if (!IsValue(v) || !Access(Pop(), op, (uint)ins.Imm, out int c) || depth != 0 || statementCount == MaxStatements) return null;
                    var st = New(Kind.Store, op, v!.Type);
                    (st.A, st.C, st.O) = (v, c, (uint)ins.Imm);
                    statements[statementCount++] = st;
                    break;
                }
                default:
                {
                    if (IsUnary(op))
                    {
                        var a = Pop();
                        if (!IsValue(a)) return null;
                        var un = New(Kind.Unary, op, ResultOf(op));
                        un.A = a;
                        stack[depth++] = un;
                        break;
                    }
                    var rb = Pop();
                    var ra = Pop();
                    if (!IsValue(ra) || !IsValue(rb) || IsShift(op) && rb!.Kind != Kind.Const) return null;
                    var bin = New(Kind.Binary, op, ResultOf(op));
                    (bin.A, bin.B) = (ra, rb);
                    stack[depth++] = bin;
                    break;
                }
            }
        }
        // 16-byte vectors of scalar elements; 32-byte ones (two v128 lanes) where the hardware has them.
        int bytes = elem == 16 ? 32 : 16;
        if (depth != 0 || elem == 0 || step % elem != 0 || bytes % step != 0
            || elem == 16 && !System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated) return null;
        var all = nodes.AsSpan(0, nodeCount);
        foreach (var n in all)
            if (n.Kind is not (Kind.Counter or Kind.Address) && !n.Folded && Width(n.Type) != elem) return null;
        int u = step / elem, count = statementCount;
        if (count % u != 0) return null;
        int per = count / u;
        foreach (var n in all) n.Copy /= per;
        // Pair copy k's statements with copy 0's.
        bool Match(Node a, Node b, int k)
        {
            if (a.Kind != b.Kind || a.Op != b.Op || a.Type != b.Type) return false;
            if (a.Kind == Kind.Counter) return true;
            if (a.Kind == Kind.Invariant) return a.Local == b.Local;
            if (b.MapsTo != null) return ReferenceEquals(b.MapsTo, a);
            // A copy computes from its own values; only a constant may come from an earlier copy (clang tees a
            // v128 constant in the first copy and reads it in the next).
            if (a.Copy != 0 || b.Copy != k && a.Kind != Kind.Const || a.TakenFor == k) return false;
            switch (a.Kind)
            {
                case Kind.Const when a.Type == ValType.V128:
                    a.Lanes ??= [a.Bits, a.Hi, .. new long[2 * u - 2]];
                    (a.Lanes[2 * k], a.Lanes[2 * k + 1]) = (b.Bits, b.Hi);
                    break;
                case Kind.Const:
                    (a.Lanes ??= new long[u])[0] = a.Bits;
                    a.Lanes[k] = b.Bits;
                    break;
                case Kind.Load or Kind.Store:
                    // Lane k's address is copy 0's plus k elements, with C and O not below copy 0's (Vectorize.Emit.cs).
                    if ((long)b.C + b.O != (long)a.C + a.O + (long)k * elem || b.C < a.C || b.O < a.O) return false;
                    if (a.Kind == Kind.Store && !Match(a.A!, b.A!, k)) return false;
                    break;
                case Kind.Unary or Kind.Set:
                    if (!Match(a.A!, b.A!, k)) return false;
                    break;
                case Kind.Binary:
                    if (IsShift(a.Op) ? a.B!.Bits != b.B!.Bits || !Match(a.A!, b.A!, k) : !Match(a.A!, b.A!, k) || !Match(a.B!, b.B!, k)) return false;
                    break;
            }
            b.MapsTo = a; // one to one: a stands for b in lane k
            a.TakenFor = k;
            return true;
        }
        for (int k = 1; k < u; k++)
            for (int i = 0; i < per; i++)
                if (!Match(statements[i], statements[k * per + i], k)) return null;
        foreach (var n in all)
            if (n.Kind == Kind.Const && n.Copy == 0 && n.Lanes == null) n.Lanes = n.Type == ValType.V128 ? [n.Bits, n.Hi] : [n.Bits];
        // Streams: copy 0's accesses. One at the same address constant as another touches the same bytes in the same
        // lane; otherwise (one of them a store) they must be a whole vector apart, both ways round the 2^32 wrap.
        var streams = nodes; // its first entries, read already, are free
        var bases = new (int C, uint O)[nodeCount];
        int streamCount = 0, baseCount = 0;
        foreach (var n in all)
            if (n.Copy == 0 && n.Kind is Kind.Load or Kind.Store)
            {
                foreach (var o in streams.AsSpan(0, streamCount))
                {
                    if (n.Kind != Kind.Store && o.Kind != Kind.Store) continue;
                    uint d = (uint)((long)n.C + n.O - ((long)o.C + o.O));
                    // Whole elements apart too: a NaN that either operand may have supplied (see the README) is
                    // then only ever read back whole, as a NaN, not in pieces as parts of other values.
                    if (d != 0 && (Math.Min(d, (ulong)(1L << 32) - d) < (ulong)bytes || d % elem != 0)) return null;
                }
                streams[streamCount++] = n;
                int b = 0;
                while (b < baseCount && bases[b] != (n.C, n.O)) b++;
                if (b == baseCount) bases[baseCount++] = (n.C, n.O);
            }
        Vectorized++;
        return new VectorLoop(bytes, step, statements[..per], bases[..baseCount]);
    }

    /// <summary>The index of <paramref name="x"/> among the first <paramref name="count"/> entries of <paramref name="a"/>, or -1.</summary>
    private static int IndexOf(int[] a, int count, int x)
    {
        for (int i = 0; i < count; i++)
            if (a[i] == x) return i;
        return -1;
    }
}
