using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// One bounds check for several accesses at addresses that differ by constants. An interpreter written in C
/// keeps its operand stack in linear memory and reads <c>stack[sp - 2]</c> and <c>stack[sp - 1]</c>, then
/// writes <c>stack[sp - 2]</c>: three checked accesses at <c>X + 8</c>, <c>X + 12</c>, <c>X + 8</c> for one
/// <c>X</c>. A pre-pass (<see cref="PlanCover"/>, for bodies with a loop) evaluates each straight-line stretch
/// of the body symbolically — every i32 value as a linear form over at most two of the values locals held at
/// the stretch's start and the results of instructions it does not follow, modulo 2^32 — and groups the checked accesses whose
/// addresses have the same form up to a constant. The group's first access in program order (its head)
/// checks the whole span the group touches; the others are emitted without a check.
/// <para>Why the traps stay where the spec puts them (WebAssembly 2.0 §4.4.7: an access traps when its
/// effective address + size exceeds the memory's length). A group only ever covers accesses that follow its
/// head with nothing observable in between: only pure instructions that cannot trap, local and global
/// reads, local writes, and loads — whose only possible trap is the same "out of bounds memory access".
/// A store, <c>global.set</c>, any instruction that may trap otherwise (division, truncation) and any control
/// or call instruction ends every group; a store may itself be a group's last access. So if any access of
/// a group is out of bounds, the original program traps with this message before doing anything visible
/// after the head; the check at the head traps exactly then. And it traps only then: with the head's
/// address R and the span S (the largest d + offset + size over the group, d = the access's address minus
/// R, 0 ≤ d &lt; 2^16), R + S &gt; length means either R + d &lt; 2^32 for the access reaching S, whose exact
/// address is then R + d and which is out of bounds, or R ≥ 2^32 - 2^16, above any memory here (a byte
/// array, under 2^31 bytes), so the head itself is out of bounds. When R + S ≤ length every access's
/// address is exactly R + d (no 32-bit wrap) and inside the memory.</para>
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>
    /// Per instruction: 0 a normal access (or no access); a head: span &lt;&lt; 2 | its group's slot (0-3), &gt; 0; a
    /// covered access: ~(d &lt;&lt; 2 | slot), &lt; 0.
    /// </summary>
    private int[]? _cover;
    // The head's zero-extended address, per group slot.
    private readonly LocalBuilder?[] _coverTemps = new LocalBuilder?[MaxOpenGroups];

    private const int MaxGroupDelta = 1 << 16, MaxOpenGroups = 4, MaxTerms = 2; // MaxOpenGroups: a power of two (slot masks)

    /// <summary>A linear form c + Σ k·v over at most two values v (ids &gt; 0) modulo 2^32; unused terms have id 0.</summary>
    private struct Form
    {
        public int V0, V1;
        public uint K0, K1, C;

        public readonly bool SameTerms(in Form o) => V0 == o.V0 && V1 == o.V1 && K0 == o.K0 && K1 == o.K1;
    }

    private struct CoverGroup
    {
        public Form Key;
        public int Head, Span;
    }

    /// <summary>
    /// Plans the covered accesses of <paramref name="code"/> (see the type's remarks); null when nothing is
    /// covered. Linear in the body: every instruction does a bounded amount of work.
    /// </summary>
    internal static int[]? PlanCover(Instr[] code)
    {
        int accesses = 0;
        bool loop = false;
        foreach (ref readonly var ins in code.AsSpan())
        {
            if (ins.Op is >= 0x28 and <= 0x3E) accesses++;
            else if (ins.Op == 0x03) loop = true;
        }
        return PlanCoverOf(code, accesses, loop, reuse: false);
    }

    /// <summary>
    /// <see cref="PlanCover"/> for a body already known to have <paramref name="accesses"/> scalar accesses and a loop
    /// or not. With <paramref name="reuse"/> the plan is the thread's array that its next plan with reuse overwrites
    /// (the root compiler's: it is done with its plan before the thread plans another body).
    /// </summary>
    private static int[]? PlanCoverOf(Instr[] code, int accesses, bool loop, bool reuse)
    {
        // Only bodies with a loop and two accesses: the pass costs compile time (measured ~20-30 ns per
        // instruction on the shared bench host), worth it where code runs many times.
        if (accesses < 2 || !loop) return null;
        return (_coverPass ??= new CoverPass()).Run(code, reuse);
    }

    /// <summary>
    /// For tests: the plan of <paramref name="code"/> as a root compiler makes it (with reuse; copied; null, as from
    /// <see cref="PlanCover"/>, for a body without a loop or two accesses), and the pcs the pass's scan marked for the write
    /// index (<see cref="IndexMarks"/>; the scan runs for any body here), or null when the thread's marks are not of this body.
    /// </summary>
    internal static (int[]? Plan, int[]? Marks) PlanCoverAsRoot(Instr[] code)
    {
        var plan = (_coverPass ??= new CoverPass()).Run(code, reuse: true)?.AsSpan(0, code.Length).ToArray();
        return (PlanCover(code) == null ? null : plan, MarksOfLastPlan(code));
    }

    /// <summary>For tests: the marks the thread's cover pass holds for <paramref name="code"/> (copied), else null.</summary>
    internal static int[]? MarksOfLastPlan(Instr[] code)
    {
        int count = 0;
        return _coverPass?.MarksOf(code, ref count)?.AsSpan(0, count).ToArray();
    }

    /// <summary>For tests: set on a thread, the cover pass steps through every stretch (the reference its skipping must match).</summary>
    [ThreadStatic] internal static bool CoverEveryStretch;

    // The access size of loads and stores 0x28-0x3E (OpInfo.Memory) as log2, two bits per opcode from bit 0 up: sizes
    // 4 8 4 8 1 1 2 2 1 1 2 2 4 4 (loads), then 4 8 4 8 1 2 1 2 4 (stores). A constant: no table to load per access.
    private const ulong AccessSizeLogs = 0x244EEA5050EE;

    /// <summary>The access size of scalar load or store <paramref name="op"/> (0x28-0x3E), as <see cref="OpInfo.Memory(ushort)"/> gives it.</summary>
    internal static int CoverAccessSize(ushort op) => 1 << (int)(AccessSizeLogs >> 2 * (op - 0x28) & 3);

    // The pass's working arrays, reused by the thread's next body (and the root compiler's plan array: PlanCoverOf).
    [ThreadStatic] private static CoverPass? _coverPass;

    [System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
    private sealed class CoverPass
    {
        private int[]? _cover; // taken at the first covered access
        // The plan array handed out with reuse, and how many of its entries the next Begin clears (0: clean; a pass
        // cut short by an exception leaves it dirty too).
        private int[] _kept = [];
        private int _dirty;
        private bool _reuse;
        private Form[] _stack = new Form[16];
        private int _depth;
        private Form[] _locals = new Form[16];
        private int[] _localRegion = new int[16];
        private int _region, _nextVar, _localsUsed, _length;
        private readonly CoverGroup[] _groups = new CoverGroup[MaxOpenGroups];
        private int _open;
        // The body whose plan was last made with reuse, and the pcs of its instructions that IndexWritesNow reads
        // (IndexMarks; the first MarkCount entries, ascending), found by Run's scan on the way.
        private Instr[]? _markedCode;
        private int[] _marks = [];
        private int _markCount;

        /// <summary>The pcs <see cref="IndexMarks"/> marks in <paramref name="code"/> (their number in <paramref name="count"/>) when the thread's last plan with reuse was of it, else null (count unchanged).</summary>
        public int[]? MarksOf(Instr[] code, ref int count)
        {
            if (!ReferenceEquals(_markedCode, code)) return null;
            count = _markCount;
            return _marks;
        }

        public void Begin(int length, bool reuse)
        {
            if (_dirty > 0) Array.Clear(_kept, 0, _dirty);
            (_dirty, _reuse, _cover) = (0, reuse, null);
            // Ids restart per body (so they never wrap to 0, which means "no term"): stale local entries go.
            Array.Clear(_localRegion, 0, _localsUsed);
            (_region, _nextVar, _localsUsed, _depth, _open, _length) = (1, 1, 0, 0, 0, length);
        }

        /// <summary>
        /// The plan of <paramref name="code"/>: <see cref="Step"/> over each stretch (the instructions between two that
        /// <see cref="Reset"/>) where a group can form, with a reset after it; the others are skipped unread.
        /// </summary>
        /// <remarks>
        /// Only a load opens a group that a later access may join (a store closes every group, its own too), so a
        /// stretch where no load is followed by another access without a store between them covers nothing. Stretches share
        /// nothing but the counter of value ids, which only ever tells values apart: skipping one leaves every other
        /// stretch's groups, and the plan, as they were (a typical body steps through a third of its instructions).
        /// </remarks>
        public int[]? Run(Instr[] code, bool reuse)
        {
            Begin(code.Length, reuse);
            var kinds = Kinds;
            // With reuse (a root compiler's body, whose write index follows), the scan also marks what IndexWritesNow reads.
            var bounds = reuse ? MarkedBounds : StretchBounds;
            int[] marks = [];
            if (reuse)
            {
                _markedCode = null; // until the marks are complete
                if (_marks.Length < code.Length || _marks.Length > MaxKept) _marks = new int[Math.Max(code.Length, 64)]; // a huge body's go with the next
                marks = _marks;
            }
            int marked = 0;
            bool all = CoverEveryStretch;
            int start = 0;
            bool load = false, pair = false;
            for (int pc = 0; pc < code.Length; pc++)
            {
                ushort op = code[pc].Op;
                byte bound = op < 0x100 ? bounds[op] : SReset;
                if (bound == 0) continue; // most instructions
                if (bound >= SMark)
                {
                    marks[marked++] = pc;
                    if (bound == SMark) continue; // a local write: no stretch bound
                }
                if (bound == SLoad)
                {
                    pair |= load;
                    load = true;
                }
                else if (bound == SStore)
                {
                    pair |= load;
                    load = false;
                }
                else
                {
                    if (pair || all) Walk(code, kinds, start, pc);
                    (start, load, pair) = (pc + 1, false, false);
                }
            }
            if (pair || all) Walk(code, kinds, start, code.Length);
            if (reuse) (_markedCode, _markCount) = (code, marked);
            return End();
        }

        /// <summary>Steps through the stretch <paramref name="from"/> to <paramref name="to"/> (exclusive), then resets as its end does.</summary>
        private void Walk(Instr[] code, byte[] kinds, int from, int to)
        {
            for (int pc = from; pc < to; pc++)
            {
                ref readonly var ins = ref code[pc];
                Step(in ins, pc, kinds[ins.Op]); // below 0x100: no reset inside a stretch
            }
            Reset();
        }

        public int[]? End()
        {
            var plan = _cover;
            _cover = null;
            // A huge body's arrays are not kept for the thread's next one.
            if (_stack.Length > 4096) _stack = new Form[16];
            if (_locals.Length > 4096) (_locals, _localRegion, _localsUsed) = (new Form[16], new int[16], 0);
            return plan;
        }

        /// <summary>A zeroed plan of the body's length: the kept array when reused (it is clean: Begin cleared it), else a new one.</summary>
        private int[] TakePlan()
        {
            if (!_reuse || _length > MaxKept) return new int[_length];
            if (_kept.Length < _length) _kept = new int[_length];
            _dirty = _length;
            return _kept;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private Form Opaque() => new() { V0 = _nextVar++, K0 = 1 };

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private ref Form Top()
        {
            if (_depth == _stack.Length) Array.Resize(ref _stack, _depth * 2);
            return ref _stack[_depth++];
        }

        private void Push(in Form f) => Top() = f;

        /// <summary>Pushes a new opaque value, written in place (as Push(Opaque())).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private void PushOpaque()
        {
            ref var f = ref Top();
            f = default;
            f.V0 = _nextVar++;
            f.K0 = 1;
        }

        /// <summary>Pops <paramref name="n"/> values unread (as n calls of Pop: each one below the stretch still takes an id).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private void Discard(int n)
        {
            int below = n - _depth;
            if (below > 0)
            {
                _nextVar += below;
                _depth = 0;
            }
            else _depth -= n;
        }

        // Values from before the stretch are unknown: each pop below it is a new opaque value.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private Form Pop() => _depth > 0 ? _stack[--_depth] : Opaque();

        private void Reset()
        {
            _region++;
            _depth = 0;
            _open = 0;
        }

        private ref Form Local(long index)
        {
            int l = (int)index;
            if (l >= _locals.Length)
            {
                int n = Math.Max(_locals.Length * 2, l + 1);
                Array.Resize(ref _locals, n);
                Array.Resize(ref _localRegion, n);
            }
            if (l >= _localsUsed) _localsUsed = l + 1;
            if (_localRegion[l] != _region)
            {
                _localRegion[l] = _region;
                _locals[l] = Opaque();
            }
            return ref _locals[l];
        }

        // What Step does per opcode (below 0x100; the rest are Reset): one table lookup and a dense switch, as
        // a decision tree over opcode ranges mispredicts several branches per instruction of real code.
        private const byte KReset = 0, KNop = 1, KDrop = 2, KSelect = 3, KGet = 4, KSet = 5, KTee = 6, KOpaque = 7, KConst = 8,
            KLoad = 9, KStore = 10, KAdd = 11, KSub = 12, KMul = 13, KShl = 14, KUnary = 15, KBinary = 16;

        private static readonly byte[] Kinds = BuildKinds();

        // What Run's scan over the body looks for, per opcode below 0x100 (the rest reset): a load, a store, or a reset
        // (Kinds' KLoad, KStore, KReset); 0 for every other instruction.
        private const byte SLoad = 1, SStore = 2, SReset = 3;
        private static readonly byte[] StretchBounds = BuildStretchBounds();
        // StretchBounds with what IndexMarks marks: a local write SMark, a control instruction (a reset) SMarkReset.
        private const byte SMark = 4, SMarkReset = 5;
        private static readonly byte[] MarkedBounds = BuildMarkedBounds();

        private static byte[] BuildMarkedBounds()
        {
            var b = (byte[])StretchBounds.Clone();
            for (int op = 0; op < 256; op++)
                if (IndexMarks[op] != 0) b[op] = b[op] == SReset ? SMarkReset : SMark;
            return b;
        }

        private static byte[] BuildStretchBounds()
        {
            var b = new byte[256];
            for (int op = 0; op < 256; op++) b[op] = Kinds[op] switch { KLoad => SLoad, KStore => SStore, KReset => SReset, _ => 0 };
            return b;
        }

        private static byte[] BuildKinds()
        {
            var k = new byte[256];
            k[0x01] = KNop;
            k[0x1A] = KDrop;
            k[0x1B] = k[0x1C] = KSelect;
            k[0x20] = KGet;
            k[0x21] = KSet;
            k[0x22] = KTee;
            k[0x23] = k[0x42] = k[0x43] = k[0x44] = KOpaque; // global.get, i64/f32/f64 constants
            k[0x41] = KConst;
            for (int op = 0x28; op <= 0x35; op++) k[op] = KLoad;
            for (int op = 0x36; op <= 0x3E; op++) k[op] = KStore;
            k[0x6A] = KAdd;
            k[0x6B] = KSub;
            k[0x6C] = KMul;
            k[0x74] = KShl;
            // Pure and never trapping (spec §4.4.1): unary, then binary numeric instructions; the result is
            // opaque. Division, remainder and the trapping truncations stay Reset, as do control, calls,
            // global.set, tables, memory.size/grow and the prefixed (bulk memory, saturating, SIMD) instructions.
            foreach (var (lo, hi) in new[] { (0x45, 0x45), (0x50, 0x50), (0x67, 0x69), (0x79, 0x7B), (0x8B, 0x91), (0x99, 0x9F), (0xA7, 0xA7), (0xAC, 0xAD), (0xB2, 0xC4) })
                for (int op = lo; op <= hi; op++) k[op] = KUnary;
            foreach (var (lo, hi) in new[] { (0x46, 0x4F), (0x51, 0x66), (0x71, 0x73), (0x75, 0x78), (0x7C, 0x7E), (0x83, 0x8A), (0x92, 0x98), (0xA0, 0xA6) })
                for (int op = lo; op <= hi; op++) k[op] = KBinary;
            return k;
        }

        /// <summary>Instruction <paramref name="pc"/> of a stretch, of kind <paramref name="kind"/> (<see cref="Kinds"/>; never a reset).</summary>
        private void Step(in Instr ins, int pc, byte kind)
        {
            ushort op = ins.Op;
            switch (kind)
            {
                case KNop: return;
                case KDrop: Discard(1); return;
                case KSelect: Discard(3); PushOpaque(); return;
                case KGet: Push(Local(ins.Imm)); return;
                case KSet: { var v = Pop(); Local(ins.Imm) = v; return; }
                case KTee:
                {
                    if (_depth == 0) Push(Opaque()); // the popped value, pushed back
                    var v = _stack[_depth - 1];
                    Local(ins.Imm) = v;
                    return;
                }
                case KOpaque: PushOpaque(); return;
                case KConst:
                {
                    ref var f = ref Top();
                    f = default;
                    f.C = (uint)(int)ins.Imm;
                    return;
                }
                case KLoad:
                    Access(Pop(), ins.Imm, CoverAccessSize(op), pc);
                    PushOpaque();
                    return;
                case KStore:
                    Discard(1);
                    Access(Pop(), ins.Imm, CoverAccessSize(op), pc);
                    _open = 0; // a store is visible: nothing after it is covered by an earlier check
                    return;
                case KAdd or KSub: { var b = Pop(); var a = Pop(); Push(Add(a, b, op == 0x6B)); return; }
                case KMul:
                {
                    var b = Pop(); var a = Pop();
                    Push(b.V0 == 0 ? Scale(a, b.C) : a.V0 == 0 ? Scale(b, a.C) : Opaque());
                    return;
                }
                case KShl: { var b = Pop(); var a = Pop(); Push(b.V0 == 0 ? Scale(a, 1u << (int)(b.C & 31)) : Opaque()); return; }
                case KUnary: Discard(1); PushOpaque(); return;
                case KBinary: Discard(2); PushOpaque(); return;
            }
        }

        /// <summary>A checked access at address form <paramref name="a"/>: joins the open group of the same terms, or heads a new one.</summary>
        private void Access(in Form a, long offset, int size, int pc)
        {
            if (offset > MaxGroupDelta) return; // left as it is
            for (int i = 0; i < _open; i++)
            {
                ref var g = ref _groups[i];
                if (!g.Key.SameTerms(a)) continue;
                uint d = a.C - g.Key.C; // this address minus the head's, modulo 2^32
                if (d >= MaxGroupDelta) return; // below the head or far: checked on its own
                g.Span = Math.Max(g.Span, (int)d + (int)offset + size);
                _cover ??= TakePlan();
                _cover[g.Head] = g.Span << 2 | i;
                _cover[pc] = ~((int)d << 2 | i);
                return;
            }
            if (_open == MaxOpenGroups) return;
            _groups[_open++] = new CoverGroup { Key = a, Head = pc, Span = (int)offset + size };
        }

        private Form Add(Form a, in Form b, bool subtract)
        {
            uint sign = subtract ? uint.MaxValue : 1u; // -1 modulo 2^32
            a.C += sign * b.C;
            if (b.V0 == 0) return a; // a constant
            if (!AddTerm(ref a, b.V0, sign * b.K0) || !AddTerm(ref a, b.V1, sign * b.K1)) return Opaque();
            return a;
        }

        private static Form Scale(Form a, uint k)
        {
            if (k == 1) return a;
            a.C *= k;
            var r = new Form { C = a.C };
            // Terms whose coefficient becomes 0 modulo 2^32 vanish; the rest keep their order.
            AddTerm(ref r, a.V0, a.K0 * k);
            AddTerm(ref r, a.V1, a.K1 * k);
            return r;
        }

        /// <summary>Adds k·v to <paramref name="f"/>, terms kept sorted by id (unused ones, id 0, last) and without zero coefficients; false when more than <see cref="MaxTerms"/> terms would be needed.</summary>
        private static bool AddTerm(ref Form f, int v, uint k)
        {
            if (v == 0 || k == 0) return true;
            if (f.V0 == v)
            {
                if ((f.K0 += k) == 0) (f.V0, f.K0, f.V1, f.K1) = (f.V1, f.K1, 0, 0);
                return true;
            }
            if (f.V1 == v)
            {
                if ((f.K1 += k) == 0) (f.V1, f.K1) = (0, 0);
                return true;
            }
            if (f.V1 != 0) return false;
            if (f.V0 == 0 || v < f.V0) (f.V0, f.K0, f.V1, f.K1) = (v, k, f.V0, f.K0);
            else (f.V1, f.K1) = (v, k);
            return true;
        }
    }

    /// <summary>
    /// A scalar access planned by <see cref="PlanCover"/>. A group's head computes its zero-extended address
    /// once, checked for the group's whole span (<see cref="Memory.Ea"/> with that span as the size; no check
    /// when the span is statically inside the minimum memory), keeps it in a local of the group's slot and
    /// accesses memory base + it + offset. A covered access does not use its own address value at all: its
    /// address is exactly the head's plus d (see the type's remarks), so it accesses memory base + the head's
    /// address + d + offset, a constant the JIT folds into the addressing mode. Returns false (nothing
    /// emitted) for any other access.
    /// </summary>
    private bool TryEmitCoveredMemory(ushort op, long offset, ValType t, bool store, int size)
    {
        int plan = _cover == null ? 0 : _cover[_pc];
        if (plan == 0) return false;
        int addrPos = _stack.Count - (store ? 2 : 1);
        ref var temp = ref _coverTemps[(plan > 0 ? plan : ~plan) & (MaxOpenGroups - 1)];
        long add = offset;
        if (plan > 0)
        {
            int cover = plan >> 2; // the span
            temp ??= Declare(typeof(nuint));
            ulong bound = BoundAt(addrPos);
            if (bound != NoBound && bound + (ulong)cover <= _minMemoryBytes || FitsRoom(addrPos, (ulong)cover))
            {
                LdSlot(addrPos);
                _il.Emit(OpCodes.Conv_U);
            }
            else
            {
                _il.Emit(OpCodes.Ldloc, _memLength!);
                LdSlot(addrPos);
                _il.Emit(OpCodes.Ldc_I4_0);
                _il.Emit(OpCodes.Conv_I8);
                _il.Emit(OpCodes.Ldc_I4, cover);
                _tokens.Emit(_il, OpCodes.Call, ClrTypes.Mem(nameof(Memory.Ea)));
            }
            _il.Emit(OpCodes.Stloc, temp);
        }
        else add += ~plan >> 2; // d
        _il.Emit(OpCodes.Ldloc, _memData!);
        _il.Emit(OpCodes.Ldloc, temp!);
        _il.Emit(OpCodes.Add);
        if (add != 0)
        {
            _il.Emit(OpCodes.Ldc_I8, add);
            _il.Emit(OpCodes.Conv_I);
            _il.Emit(OpCodes.Add);
        }
        EmitRawAccess(op, t, store, size, addrPos);
        return true;
    }
}
