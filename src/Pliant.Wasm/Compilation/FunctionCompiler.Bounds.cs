using System.Reflection.Emit;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Static bounds of i32 operand-stack values, to drop memory bounds checks that cannot fail. Each wasm
/// stack value gets an unsigned upper bound when it is pushed — only by instructions whose result is
/// bounded by their immediate or operands (<c>i32.const</c>, <c>i32.and</c>, <c>i32.add</c> without wrap,
/// <c>rem_u</c>, <c>shr_u</c>, <c>div_u</c>, <c>shl</c> by a constant without lost bits, 8/16-bit unsigned
/// loads, comparisons, <c>select</c>), plus a signed range through <c>i32.add</c> and <c>shl</c>; a local keeps
/// the facts of the value last stored until paths merge (else, the end of a block or if, a loop header unless
/// the loop never writes the local), and the counter of a recognised counting loop has its exact range inside
/// the loop (<see cref="AnalyzeLoop"/>). Every other value, and every value arriving through a label or a call, is
/// unbounded. A scalar access
/// whose address bound + offset + size fits in the memory's declared minimum is emitted without a check:
/// linear memory never shrinks, and linking refuses an imported memory below the declared minimum
/// (WebAssembly 2.0 §4.5.3 limits matching). A typical case: <c>buf[(i * 257) &amp; 0xFFFF]</c> over a
/// static buffer. No guard pages are involved: every other access keeps its check.
/// </summary>
internal sealed partial class FunctionCompiler
{
    private const ulong NoBound = ulong.MaxValue;
    // Per stack position (this array and the per-local ones below come from the thread's Scratch, FunctionCompiler.Scratch.cs).
    private StackFact[] _facts;
    private ulong _nextBound = NoBound;
    private long _nextLo = 1, _nextHi = 0;
    private ulong _nextRoom;

    /// <summary>What is known of an i32 stack value: one entry per position, so that a push writes one array element.</summary>
    private struct StackFact
    {
        /// <summary>Unsigned upper bound, or <see cref="NoBound"/>.</summary>
        public ulong Bound;
        /// <summary>Signed range when known (Lo &lt;= Hi), else Lo &gt; Hi.</summary>
        public long Lo, Hi;
        /// <summary>Room: value + room &lt;= the memory's length (0: nothing known; see RecordSpan).</summary>
        public ulong Room;
    }
    private int _nextBoundAt = -1;
    private readonly ulong _minMemoryBytes;
    // Facts about locals, valid while _localGen[i] == _gen: straight-line code since the local was last set.
    private ulong[]? _localBound;
    private long[]? _localLo, _localHi;
    private int[]? _localGen;
    private int _gen = 1;
    private const int MaxFacts = 64;
    // The locals with facts, oldest first, as a list linked through two arrays indexed by local (-1 ends it):
    // a write moves its local to the end and the oldest goes beyond MaxFacts, each in constant time.
    private int[]? _factPrev, _factNext;
    private bool[]? _factIn;
    private int _factHead = -1, _factTail = -1, _factCount;
    // Induction variables of simple counting loops (AnalyzeLoop): local, range, where local.get sees that range; the
    // first _inductionCount entries of the level's array (FunctionCompiler.Scratch.cs), oldest first.
    private readonly Induction[] _inductions;
    private int _inductionCount;
    // Bit l % 64 set for each induction's local l: most local.gets are of no induction, and PlanBound tells so at once.
    private ulong _inductionLocals;
    private const int MaxInductions = 8;

    private struct Induction
    {
        public int Local, From, To;
        public long Lo, Hi;
    }
    private int _loopScanBudget = int.MinValue;

    private static ulong MinMemoryBytes(WasmModule m)
    {
        foreach (var imp in m.Imports)
            if (imp.Kind == ExternKind.Memory) return imp.Memory.Min * Runtime.Memory.PageSize;
        return m.Memories.Count > 0 ? m.Memories[0].Min * Runtime.Memory.PageSize : 0;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ulong BoundAt(int pos) => StackBound(pos, _stack.Count);

    // BoundAt, RangeAt and RoomAt with the stack's height n already read: _stack.Count is a call in precompiled (ReadyToRun)
    // code, where List's members are not inlined across the version bubble.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ulong StackBound(int pos, int n) => pos >= 0 && pos < n ? _facts[pos].Bound : NoBound;

    /// <summary>Records the bound of the value <see cref="Push"/> puts at <paramref name="pos"/>: the one planned for it by <see cref="PlanBound"/>, else none.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void SetBound(int pos)
    {
        EnsureBounds(pos);
        ref var f = ref _facts[pos];
        if (pos == _nextBoundAt) (f.Bound, f.Lo, f.Hi, f.Room) = (_nextBound, _nextLo, _nextHi, _nextRoom);
        else (f.Bound, f.Lo, f.Hi, f.Room) = (NoBound, 1, 0, 0);
    }

    /// <summary>Grows the per-position arrays (bounds here, deferred values in FunctionCompiler.Lazy.cs) together.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void EnsureBounds(int pos)
    {
        if (pos >= _facts.Length) GrowBounds(pos);
    }

    private void GrowBounds(int pos)
    {
        int n = Math.Max(_facts.Length * 2, pos + 1);
        Array.Resize(ref _facts, n);
        Array.Resize(ref _lazyKind, n);
        Array.Resize(ref _lazyValue, n);
        Array.Resize(ref _lazyAdd, n);
        Array.Resize(ref _lazyFold, n);
        Keep();
    }

    /// <summary>Values put on the stack other than by <see cref="Push"/> (block results): unbounded.</summary>
    private void ClearBounds(int from)
    {
        for (int i = from; i < _stack.Count; i++)
        {
            EnsureBounds(i);
            _facts[i] = new StackFact { Bound = NoBound, Lo = 1, Hi = 0, Room = 0 };
        }
    }

    /// <summary>Before <paramref name="ins"/> (at <paramref name="pc"/>) is emitted: the bound and range its i32 result will have, if any.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void PlanBound(in Instr ins, int pc)
    {
        ushort op = ins.Op;
        // Most instructions have no bound, range, local fact or merge; nor has a local.get of a local without facts,
        // or whose fact (the value last stored) has neither bound nor range. The commonest bounded ones, i32.const and
        // the tests, take their fixed results without PlanBoundOf.
        byte kind = op < 0x100 ? BoundOps[op] : NoPlan;
        if (kind == PlanConst) PlanConstant((int)ins.Imm);
        else if (kind == PlanTest) PlanTestResult(op is 0x45 or 0x50 ? 1 : 2);
        else if (kind == PlanWrite) PlanLocalWrite((int)ins.Imm);
        else if (kind == PlanSum) PlanAdd();
        else if (kind == PlanGet && ((_inductionLocals & 1UL << (int)ins.Imm) != 0 || _localGen != null && _localGen[(int)ins.Imm] == _gen && HasFact((int)ins.Imm)
            || _spanCount > 0 && _span![(int)ins.Imm] != 0))
            PlanLocalGet((int)ins.Imm, pc);
        else if (kind == PlanJoin) PlanMerge(op, pc);
        else if (kind == PlanOther) PlanBoundOf(in ins, pc);
        else _nextBoundAt = -1;
    }

    /// <summary>PlanBoundOf of <c>local.get</c> <paramref name="local"/>: the local's fact (or its induction range) and its checked span's room at the new top.</summary>
    private void PlanLocalGet(int local, int pc)
    {
        int n = _stack.Count;
        (ulong bound, int at) = LocalFact(local, pc, n, out long lo, out long hi);
        ulong room = 0;
        if (_spanCount > 0 && _span![local] != 0) (room, at) = (_span[local], n);
        _nextBound = bound;
        (_nextLo, _nextHi) = (lo, hi);
        _nextRoom = room;
        _nextBoundAt = bound == NoBound && lo > hi && room == 0 ? -1 : at;
    }

    /// <summary>
    /// PlanBoundOf of <c>loop</c>, <c>else</c> and <c>end</c> (at <paramref name="pc"/>): no result, but local facts end
    /// where paths merge: a loop header, else, and the end of a block or if, except for the locals the construct never
    /// writes (KeepUnwrittenFacts). A loop's end is no label (branches to a loop go to its header), and the other
    /// control instructions only leave: the facts stay true on the path that continues. The body's own end (its frame,
    /// op 0) is the last instruction: no code follows that could use what is kept.
    /// </summary>
    private void PlanMerge(ushort op, int pc)
    {
        var frame = op == 0x03 ? null : _frames[^1]; // a loop's construct is itself; else and end close the open one
        if (frame == null || op == 0x05 || frame.Op is not (0x03 or 0))
        {
            // Nothing to keep (no sums, no locals with facts): the loop's end and the write index are not needed.
            if (_sumCount == 0 && _factHead < 0) { }
            else if (frame == null) KeepUnwrittenFacts(pc, LoopEnd(pc));
            else KeepUnwrittenFacts(frame.Pc, pc);
            _gen++;
            if (_spanCount == 0) { }
            else if (frame == null) KeepDominatingSpans(pc, LoopEnd(pc));
            else KeepDominatingSpans(frame.Pc, pc);
        }
        _nextBound = NoBound;
        (_nextLo, _nextHi) = (1L, 0L);
        _nextRoom = 0;
        _nextBoundAt = -1;
    }

    /// <summary>
    /// PlanBoundOf of <c>local.set/tee</c> <paramref name="local"/>, without its general path: no result bound or range
    /// (the tee's value keeps the one it has), only the write's effect on the local's fact and span.
    /// </summary>
    private void PlanLocalWrite(int local)
    {
        if (_localGen != null && _stack.Count is int n && n > 0) RecordLocal(local, n - 1);
        if (_spanCount > 0) ForgetSpan(local);
        _nextBound = NoBound;
        (_nextLo, _nextHi) = (1L, 0L);
        _nextRoom = 0;
        _nextBoundAt = -1;
    }

    /// <summary>PlanBoundOf of <c>i32.add</c>, without its general path: the sum's bound, range and room at the lower operand.</summary>
    private void PlanAdd()
    {
        int n = _stack.Count;
        ulong bound = NoBound, room = 0;
        long lo = 1, hi = 0;
        if (n >= 2)
        {
            // Both operands' facts read once (as StackBound, StackRange and RoomMinus would read them).
            var facts = _facts;
            ref readonly var f1 = ref facts[n - 2];
            ref readonly var f2 = ref facts[n - 1];
            ulong b1 = f1.Bound, b2 = f2.Bound;
            bound = Sum(b1, b2);
            // x + b for b <= B: below x + room - B + 1 when B < room (then x + b cannot wrap).
            ulong r1 = b2 != NoBound && b2 < f1.Room ? f1.Room - b2 : 0, r2 = b1 != NoBound && b1 < f2.Room ? f2.Room - b1 : 0;
            room = r1 > r2 ? r1 : r2;
            if (f1.Lo <= f1.Hi && f2.Lo <= f2.Hi && f1.Lo + f2.Lo >= int.MinValue && f1.Hi + f2.Hi <= int.MaxValue)
            {
                // No signed wrap: the i32 sum is the exact sum; non-negative, it also bounds the unsigned value.
                (lo, hi) = (f1.Lo + f2.Lo, f1.Hi + f2.Hi);
                if (lo >= 0 && (ulong)hi < bound) bound = (ulong)hi;
            }
        }
        _nextBound = bound;
        (_nextLo, _nextHi) = (lo, hi);
        _nextRoom = room;
        _nextBoundAt = bound == NoBound && lo > hi && room == 0 ? -1 : n - 2;
    }

    /// <summary>Whether local <paramref name="l"/>'s current fact says anything: a bound or a range (else PlanBoundOf plans nothing for its local.get).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool HasFact(int l) => _localBound![l] != NoBound || _localLo![l] <= _localHi![l];

    /// <summary>PlanBoundOf of <c>i32.const c</c>: bound and range c (as an unsigned and a signed value) at the new top.</summary>
    private void PlanConstant(int c)
    {
        _nextBound = (ulong)(uint)c;
        (_nextLo, _nextHi) = (c, c);
        _nextRoom = 0;
        _nextBoundAt = _stack.Count;
    }

    /// <summary>PlanBoundOf of a test (<c>eqz</c>, a comparison) of <paramref name="operands"/> values: bound 1, no range, at the lowest operand.</summary>
    private void PlanTestResult(int operands)
    {
        _nextBound = 1;
        (_nextLo, _nextHi) = (1L, 0L);
        _nextRoom = 0;
        _nextBoundAt = _stack.Count - operands;
    }

    private void PlanBoundOf(in Instr ins, int pc)
    {
        ushort op = ins.Op;
        int n = _stack.Count, top = n - 1;
        long lo = 1, hi = 0;
        (ulong bound, int at) = op switch
        {
            0x41 => ((ulong)(uint)(int)ins.Imm, n),                                // i32.const
            0x2D => (0xFFUL, top),                                                  // i32.load8_u
            0x2F => (0xFFFFUL, top),                                                // i32.load16_u
            0x45 or 0x50 => (1UL, top),                                             // eqz
            >= 0x46 and <= 0x4F or >= 0x51 and <= 0x66 => (1UL, n - 2),             // comparisons
            0x71 => (Math.Min(StackBound(top, n), StackBound(top - 1, n)), n - 2),  // i32.and
            0x6E or 0x76 => (StackBound(top - 1, n), n - 2),                       // i32.div_u, i32.shr_u
            0x74 when StackRange(top, n, out long c, out long c2) && c == c2 && c is >= 0 and < 32 => (Shl(StackBound(top - 1, n), (int)c), n - 2), // i32.shl by a constant
            0x70 => (Math.Min(StackBound(top - 1, n), StackBound(top, n) is var d && d is > 0 and not NoBound ? d - 1 : NoBound), n - 2), // i32.rem_u
            0x1B when n >= 3 && _stack[top - 1] == ValType.I32 => (Math.Max(StackBound(top - 2, n), StackBound(top - 1, n)), n - 3), // select
            0x72 => (NoBound, n - 2),                                               // i32.or: a room only
            _ => (NoBound, -1),
        };
        ulong room = 0;
        if (op == 0x72)
        {
            // x | b (never above x + b, PlanAdd) for b <= B: below x + room - B + 1 when B < room.
            room = Math.Max(RoomMinus(top - 1, n, StackBound(top, n)), RoomMinus(top, n, StackBound(top - 1, n)));
        }
        if (op == 0x41) lo = hi = (int)ins.Imm;
        else if (op == 0x74 && StackRange(top, n, out long sa, out long sb) && sa == sb && sa is >= 0 and < 32
            && StackRange(top - 1, n, out long vlo, out long vhi) && vlo >= 0 && vhi << (int)sa <= int.MaxValue)
        {
            (lo, hi) = (vlo << (int)sa, vhi << (int)sa); // non-negative and no bit shifted out: the exact product
        }
        _nextBound = bound;
        (_nextLo, _nextHi) = (lo, hi);
        _nextRoom = room;
        _nextBoundAt = bound == NoBound && lo > hi && room == 0 ? -1 : at;
    }

    // What PlanBound does for the opcodes below 0x100: nothing, PlanBoundOf (bounded or ranged results), or its own path
    // for i32.const, a test, a local write (PlanLocalWrite), i32.add (PlanAdd), a local read (PlanLocalGet) or a join of
    // paths (PlanMerge: loop, else, end).
    private const byte NoPlan = 0, PlanOther = 1, PlanConst = 2, PlanTest = 3, PlanWrite = 4, PlanSum = 5, PlanGet = 6, PlanJoin = 7;
    private static readonly byte[] BoundOps = BuildBoundOps();

    private static byte[] BuildBoundOps()
    {
        var b = new byte[256];
        foreach (int op in (int[])[0x1B, 0x2D, 0x2F, 0x6E, 0x70, 0x71, 0x72, 0x74, 0x76]) b[op] = PlanOther;
        b[0x03] = b[0x05] = b[0x0B] = PlanJoin;
        b[0x20] = PlanGet;
        b[0x21] = b[0x22] = PlanWrite;
        b[0x6A] = PlanSum;
        b[0x41] = PlanConst;
        b[0x45] = b[0x50] = PlanTest;
        for (int op = 0x46; op <= 0x4F; op++) b[op] = PlanTest;
        for (int op = 0x51; op <= 0x66; op++) b[op] = PlanTest;
        return b;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool RangeAt(int pos, out long lo, out long hi) => StackRange(pos, _stack.Count, out lo, out hi);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool StackRange(int pos, int n, out long lo, out long hi)
    {
        (lo, hi) = pos >= 0 && pos < n ? (_facts[pos].Lo, _facts[pos].Hi) : (1L, 0L);
        return lo <= hi;
    }

    /// <summary>local.set/tee of the stack value at <paramref name="pos"/> (on the stack): the local has its facts until the next control instruction or write.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void RecordLocal(int local, int pos)
    {
        // The locals with facts, newest last: at most MaxFacts, so a merge costs O(MaxFacts) whatever the module.
        if (_factIn == null)
        {
            int n = _localTypes.Length;
            (_factPrev, _factNext, _factIn) = (Ensure(ref _scratch.FactPrev, n), Ensure(ref _scratch.FactNext, n), Ensure(ref _scratch.FactIn, n));
        }
        // Already the newest: the list stays as it is (unlinking and relinking it would give the same list and count).
        if (!_factIn[local] || _factTail != local) LinkFact(local);
        ref readonly var f = ref _facts[pos]; // what BoundAt and RangeAt read: pos is below the stack's height
        _localBound![local] = f.Bound;
        (_localLo![local], _localHi![local]) = (f.Lo, f.Hi);
        _localGen![local] = _gen;
    }

    /// <summary>Makes <paramref name="local"/> the newest fact (evicting the oldest past <see cref="MaxFacts"/>).</summary>
    private void LinkFact(int local)
    {
        if (_factIn![local]) UnlinkFact(local);
        _factPrev![local] = _factTail;
        _factNext![local] = -1;
        if (_factTail >= 0) _factNext[_factTail] = local;
        else _factHead = local;
        _factTail = local;
        _factIn[local] = true;
        if (++_factCount > MaxFacts)
        {
            _localGen![_factHead] = 0;
            UnlinkFact(_factHead);
        }
    }

    private void UnlinkFact(int local)
    {
        int p = _factPrev![local], x = _factNext![local];
        if (p >= 0) _factNext[p] = x;
        else _factHead = x;
        if (x >= 0) _factPrev[x] = p;
        else _factTail = p;
        _factIn![local] = false;
        _factCount--;
    }

    private (ulong, int) LocalFact(int local, int pc, int n, out long lo, out long hi)
    {
        foreach (ref readonly var iv in _inductions.AsSpan(0, _inductionCount))
        {
            if (iv.Local == local && pc >= iv.From && pc <= iv.To)
            {
                (lo, hi) = (iv.Lo, iv.Hi);
                return (iv.Lo >= 0 ? (ulong)iv.Hi : NoBound, n);
            }
        }
        if (_localGen != null && _localGen[local] == _gen)
        {
            (lo, hi) = (_localLo![local], _localHi![local]);
            return (_localBound![local], n);
        }
        (lo, hi) = (1, 0);
        return (NoBound, -1);
    }

    /// <summary>
    /// At a <c>loop</c> (at <paramref name="pc"/>) of a shape clang emits for counting loops, records the
    /// range of its induction local L. Shape: L set to a constant c0 in the straight run of
    /// <c>i32.const|local.get; local.set</c> pairs just before the loop; the loop ends with
    /// <c>local.get L; i32.const k; i32.add; local.tee L; [exit test]; br_if 0; end</c>, k &gt; 0, L written
    /// nowhere else in the loop, no other branch (and no <c>br_table</c>) to the loop's label. Exit tests and
    /// the range every <c>local.get L</c> up to the increment then sees:
    /// <list type="bullet">
    /// <item>none (continue while L ≠ 0): c0 &lt; 0 and -c0 a multiple of k: [c0, -k];</item>
    /// <item><c>i32.const n; i32.ne</c>: c0 &lt; n and n - c0 a multiple of k: [c0, n - k];</item>
    /// <item><c>i32.const n; i32.lt_u</c>: 0 &lt; n ≤ 2^31 - 1 - k: c0 first, then only values in [0, n):
    /// [min(c0, 0), max(c0, n - 1)].</item>
    /// <item>the test of the old value before the step, <c>local.get L; i32.const n; i32.lt_u; local.set T;
    /// local.get L; i32.const k; i32.add; local.set L; local.get T; br_if 0</c>: 0 &lt; n, n - 1 + k ≤ 2^31 - 1:
    /// c0, then old values below n plus k: [min(c0, k), max(c0, n - 1 + k)].</item>
    /// </list>
    /// No step can overflow in any of them. Anything else records nothing.
    /// </summary>
    private void AnalyzeLoop(Instr[] code, int pc)
    {
        if (_localGen == null) return;
        // The inductions of loops that ended go (the others keep their order).
        int kept = 0;
        ulong locals = 0;
        for (int i = 0; i < _inductionCount; i++)
        {
            if (_inductions[i].To < pc) continue;
            locals |= 1UL << _inductions[i].Local;
            _inductions[kept++] = _inductions[i];
        }
        (_inductionCount, _inductionLocals) = (kept, locals);
        if (_loopScanBudget == int.MinValue) _loopScanBudget = 4 * code.Length + 1024;
        // Linear compile time whatever the module: at most 8 nested counting loops are tracked, and the
        // scans for loop ends share a budget of 4 passes over the body (a hostile nest of loops stops there).
        if (_inductionCount >= MaxInductions || _loopScanBudget <= 0) return;
        var (pi, po) = BlockType(code[pc].Imm);
        if (pi.Length != 0 || po.Length != 0) return;
        // The loop's end and the branches to it, from the body's index (IndexWrites): what a scan from the loop to
        // its end, stopped by a br_table, finds — and the budget is charged that scan's length, so the analysis
        // (and the generated code) are those of the scan, without rescanning nested loops.
        IndexWrites();
        var loop = LoopScanAt(pc);
        int stop = Math.Min(loop.End, FirstBrTableAfter(pc));
        if (_loopScanBudget - (stop - pc) <= 0)
        {
            _loopScanBudget = 0;
            return;
        }
        _loopScanBudget -= stop - pc;
        if (stop != loop.End) return; // a br_table in the loop
        int end = loop.End, branches = loop.Branches, lastBranch = loop.LastBranch;
        if (end < pc + 8 || branches != 1 || lastBranch != end - 1 || code[end - 1].Imm != 0) return;
        // The exit test between the tee and the br_if.
        int tee = end - 2;
        long limit = 0;
        ushort test = 0;
        if (code[end - 2].Op is 0x47 or 0x49 && code[end - 3].Op == 0x41)
        {
            test = code[end - 2].Op;
            limit = (int)code[end - 3].Imm;
            tee = end - 4;
        }
        else if (end >= pc + 12 && code[end - 2].Op == 0x20 && code[end - 7].Op == 0x21 && code[end - 2].Imm == code[end - 7].Imm
            && code[end - 8].Op == 0x49 && code[end - 9].Op == 0x41 && code[end - 10].Op == 0x20 && code[end - 10].Imm == code[end - 3].Imm
            && code[end - 3].Op == 0x21 && code[end - 3].Imm != code[end - 2].Imm)
        {
            // Test before the step: local.get L; i32.const n; i32.lt_u; local.set T; <step as local.set L>; local.get T; br_if 0.
            test = 0xFF;
            limit = (int)code[end - 9].Imm;
            tee = end - 3;
        }
        if (code[tee].Op is not (0x22 or 0x21) || code[tee].Op == 0x21 && test != 0xFF || code[tee - 1].Op != 0x6A
            || code[tee - 2].Op != 0x41 || code[tee - 3].Op != 0x20 || code[tee - 3].Imm != code[tee].Imm) return;
        int local = (int)code[tee].Imm;
        long k = (int)code[tee - 2].Imm;
        if (local >= _localTypes.Length || _localTypes[local] != ValType.I32 || k <= 0) return;
        if (WrittenIn(local, pc + 1, tee) || WrittenIn(local, tee + 1, end)) return;
        // c0: the last write of L in the straight run of pairs before the loop.
        long? c0 = null;
        for (int j = pc - 1; j >= 1 && code[j].Op == 0x21 && code[j - 1].Op is 0x41 or 0x20; j -= 2)
        {
            if (code[j].Imm != local) continue;
            if (code[j - 1].Op == 0x41) c0 = (int)code[j - 1].Imm;
            break;
        }
        if (c0 is not long start) return;
        (long lo, long hi) range;
        switch (test)
        {
            case 0 when start < 0 && -start % k == 0: range = (start, -k); break;
            case 0x47 when start < limit && (limit - start) % k == 0: range = (start, limit - k); break;     // i32.ne
            case 0x49 when limit > 0 && limit <= int.MaxValue - k: range = (Math.Min(start, 0), Math.Max(start, limit - 1)); break; // i32.lt_u
            // Tested before the step: each next value is an old one below n, plus k.
            case 0xFF when limit > 0 && limit - 1 + k <= int.MaxValue: range = (Math.Min(start, k), Math.Max(start, limit - 1 + k)); break;
            default: return;
        }
        _inductions[_inductionCount++] = new Induction { Local = local, Lo = range.lo, Hi = range.hi, From = pc + 1, To = tee - 3 };
        _inductionLocals |= 1UL << local;
    }

    private void EndBound() => _nextBoundAt = -1;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ulong RoomAt(int pos) => StackRoom(pos, _stack.Count);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ulong StackRoom(int pos, int n) => pos >= 0 && pos < n ? _facts[pos].Room : 0;

    // Open loop constructs of this body. An access drops its check by its address's room only inside a loop:
    // in the straight entry code nothing is gained, and there the checks' length - size values are what the
    // JIT reuses in a loop with many live values (it does not hoist them out of one: interp's dispatch
    // recomputed length - 4 on every VM operation once its frame's entry stores had no check).
    private int _loopFrames;

    /// <summary>Whether an access at <paramref name="pos"/> with offset + size <paramref name="extent"/> is inside the memory by its room (RecordSpan).</summary>
    private bool FitsRoom(int pos, ulong extent) => _loopFrames > 0 && RoomAt(pos) >= extent;

    /// <summary>The room left at <paramref name="pos"/> after adding (or or-ing) a value of at most <paramref name="b"/>: 0 unless b is below its room.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ulong RoomMinus(int pos, int n, ulong b) => StackRoom(pos, n) is var r && b != NoBound && b < r ? r - b : 0;

    // Checked spans (RecordSpan): per i32 local, S > 0 with local + S <= the memory's length, and the pc of the
    // access that showed it; the locals that have one, at most MaxSpans.
    private ulong[]? _span;
    private int[]? _spanPc;
    private readonly int[] _spanLocals;
    private int _spanCount;
    private const int MaxSpans = 16;

    /// <summary>
    /// After an access at exactly the value of i32 local <paramref name="local"/> with offset + size
    /// <paramref name="span"/> completed (it traps otherwise: WebAssembly 2.0 §4.4.7): local + span ≤ the
    /// memory's length, and it stays so while the local is not written — memory never shrinks (§4.5.3: an
    /// imported memory is at least the declared minimum, and memory.grow only adds pages). A local.get of the
    /// local then has that room (<see cref="RoomAt"/>), which flows through <c>i32.add</c> and <c>i32.or</c> with
    /// bounded values, and an access whose offset + size fits its address's room needs no check: clang's
    /// <c>regs[program[pc] &amp; 3]</c> over a frame in linear memory (<c>local | (x &amp; 3) &lt;&lt; 2</c>), or a frame's
    /// later fields after its first store. The fact holds at the instructions the access dominates; at a merge
    /// (<see cref="KeepDominatingSpans"/>) it stays only if shown before the construct and the local is unwritten
    /// in it.
    /// </summary>
    private void RecordSpan(int local, ulong span)
    {
        if (_localTypes[local] != ValType.I32 || span == 0 || _replaying) return; // a dispatch copy keeps no facts
        _span ??= Ensure(ref _scratch.Span, _localTypes.Length);
        _spanPc ??= Ensure(ref _scratch.SpanPc, _localTypes.Length);
        if (_span[local] >= span) return; // known already, perhaps since before an enclosing construct
        if (_span[local] == 0)
        {
            if (_spanCount == MaxSpans) return;
            _spanLocals[_spanCount++] = local;
        }
        _span[local] = span;
        _spanPc[local] = _pc;
    }

    /// <summary>Before local <paramref name="local"/> is written: its checked span ends.</summary>
    private void ForgetSpan(int local)
    {
        if (_span![local] == 0) return;
        _span[local] = 0;
        for (int i = 0; i < _spanCount; i++)
        {
            if (_spanLocals[i] != local) continue;
            _spanLocals[i] = _spanLocals[--_spanCount];
            return;
        }
    }

    /// <summary>
    /// At the merge point of the construct spanning <paramref name="from"/> to <paramref name="to"/> (as
    /// <see cref="KeepUnwrittenFacts"/>): a span shown before the construct began held at its start, so on every
    /// path into the merge when the construct never writes the local. Spans shown inside the construct (on
    /// the path that falls through, perhaps not on a branch to the merge) end, as do those of written locals.
    /// </summary>
    private void KeepDominatingSpans(int from, int to)
    {
        for (int i = _spanCount - 1; i >= 0; i--)
        {
            int l = _spanLocals[i];
            if (_spanPc![l] < from && !WrittenIn(l, from, to)) continue;
            _span![l] = 0;
            _spanLocals[i] = _spanLocals[--_spanCount];
        }
    }

    /// <summary>
    /// At a merge point of the construct spanning <paramref name="from"/> to <paramref name="to"/> (a loop's
    /// header: the whole loop; else: the then arm; end: the whole block or if): a local that the construct
    /// never writes has on every path in the value it had on entry, so its facts (and the sums it takes part
    /// in, <see cref="_sums"/>) stay. Marks them for the next generation, which the caller then starts.
    /// </summary>
    private void KeepUnwrittenFacts(int from, int to)
    {
        int kept = 0;
        for (int i = 0; i < _sumCount; i++)
        {
            var r = _sums![i];
            if (!WrittenIn(r.Target, from, to) && !WrittenIn(r.Base, from, to)) _sums[kept++] = r;
        }
        _sumCount = kept;
        if (_localGen == null) return;
        for (int l = _factHead, next; l >= 0; l = next)
        {
            next = _factNext![l];
            if (_localGen[l] != _gen || WrittenIn(l, from, to)) UnlinkFact(l);
            else _localGen[l] = _gen + 1;
        }
    }

    // Where each local is written (the pcs of local l's writes are _writePcs[_writeStart[l] .. _writeStart[l + 1]),
    // ascending) and the body's loops (_loopScans), computed once per body on first need.
    private bool _indexed;
    private int[] _writeStart = [], _writePcs = [];

    /// <summary>The end of the loop at <paramref name="pc"/>.</summary>
    private int LoopEnd(int pc)
    {
        IndexWrites();
        return LoopScanAt(pc).End;
    }

    /// <summary>Indexes the body's loops and local writes on first use (<see cref="IndexWritesNow"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void IndexWrites()
    {
        if (!_indexed) IndexWritesNow();
    }

    /// <summary>Indexes the body's loops and local writes (two passes, in the level's Scratch arrays).</summary>
    private void IndexWritesNow()
    {
        _indexed = true;
        var code = _code;
        var root = _root;
        if (root != this && ReferenceEquals(root._code, code))
        {
            // An inlined copy: the same body and locals as its root, so the same index.
            root.IndexWrites();
            (_writeStart, _writePcs) = (root._writeStart, root._writePcs);
            (_loopScans, _loopScanCount, _brTables, _brTableCount) = (root._loopScans, root._loopScanCount, root._brTables, root._brTableCount);
            return;
        }
        var s = _scratch;
        int locals = _localTypes.Length;
        // One pass over the body (or its marked instructions, below): each loop's end and the branches to it, and per local
        // its number of writes at start[l + 1].
        var start = Ensure(ref s.WriteStart, locals + 1);
        Array.Clear(start, 0, locals + 1);
        int depth = 0, n = 0, loops = 0, brTables = 0;
        // Per open block, its loop's number in loopScans, or -1 (a block or if).
        var openLoop = s.OpenLoops;
        var loopScans = s.LoopScans ?? [];
        var brTableAt = s.BrTables;
        // The instructions the index reads (IndexMarks), in pc order, when the cover pass's scan marked them for this
        // body (the root's plan, FunctionCompiler.Cover.cs); else every instruction.
        int count = code.Length;
        var marks = _coverPass is { } pass ? pass.MarksOf(code, ref count) : null;
        for (int k = 0; k < count; k++)
        {
            int i = marks != null ? marks[k] : k;
            ushort op = code[i].Op;
            switch (op)
            {
                case 0x02 or 0x03 or 0x04:
                    Put(ref openLoop, depth++, op == 0x03 ? loops : -1);
                    if (op == 0x03)
                    {
                        if (loops == loopScans.Length) Array.Resize(ref loopScans, Math.Max(8, loops * 2));
                        loopScans[loops++] = new LoopScan { Pc = i, LastBranch = -1 };
                    }
                    break;
                case 0x0B when depth > 0:
                    if (openLoop![--depth] >= 0) loopScans[openLoop[depth]].End = i;
                    break;
                case 0x0C or 0x0D when code[i].Imm < depth && openLoop![depth - 1 - (int)code[i].Imm] is var target && target >= 0:
                    loopScans[target].Branches++;
                    loopScans[target].LastBranch = i;
                    break;
                case 0x0E: Put(ref brTableAt, brTables++, i); break;
                case 0x21 or 0x22:
                    start[code[i].Imm + 1]++;
                    n++;
                    break;
            }
        }
        // The working arrays back to the level's set, unless one huge body grew them.
        if (openLoop?.Length <= MaxKept) s.OpenLoops = openLoop;
        if (loopScans.Length <= MaxKept) s.LoopScans = loopScans;
        if (brTableAt?.Length <= MaxKept) s.BrTables = brTableAt;
        (_loopScans, _loopScanCount, _brTables, _brTableCount) = (loopScans, loops, brTableAt, brTables);
        for (int l = 0; l < locals; l++) start[l + 1] += start[l];
        var pcs = Ensure(ref s.WritePcs, n);
        // Then again, the writes grouped by local (a counting sort: each local's next index runs from start[l]).
        var fill = Ensure(ref s.Fill, locals);
        Array.Copy(start, fill, locals);
        for (int k = 0; k < count; k++)
        {
            int pc = marks != null ? marks[k] : k;
            if (code[pc].Op is 0x21 or 0x22) pcs[fill[code[pc].Imm]++] = pc;
        }
        _writeStart = start;
        _writePcs = pcs;
    }

    // Per opcode below 0x100: 1 for what IndexWritesNow reads (block, loop, if, end, br, br_if, br_table, local.set and
    // local.tee), else 0 (the cover pass's scan marks these: CoverPass.MarkedBounds). The prefixed instructions (ops
    // from 0x100) are none of these.
    private static readonly byte[] IndexMarks = BuildIndexMarks();

    private static byte[] BuildIndexMarks()
    {
        var b = new byte[256];
        foreach (int op in (int[])[0x02, 0x03, 0x04, 0x0B, 0x0C, 0x0D, 0x0E, 0x21, 0x22]) b[op] = 1;
        return b;
    }

    /// <summary>A loop of the body (IndexWrites, in pc order): its end, and the br and br_if instructions to its label.</summary>
    private struct LoopScan
    {
        public int Pc, End, Branches, LastBranch;
    }

    private LoopScan[]? _loopScans;
    private int _loopScanCount;
    // The body's br_table instructions, ascending.
    private int[]? _brTables;
    private int _brTableCount;

    /// <summary>The loop at <paramref name="pc"/> (a loop instruction), by binary search of the body's loops.</summary>
    private LoopScan LoopScanAt(int pc)
    {
        int a = 0, b = _loopScanCount - 1;
        while (a < b)
        {
            int mid = (a + b) >>> 1;
            if (_loopScans![mid].Pc < pc) a = mid + 1;
            else b = mid;
        }
        return _loopScans![a];
    }

    /// <summary>The first br_table after <paramref name="pc"/>, or int.MaxValue.</summary>
    private int FirstBrTableAfter(int pc)
    {
        int a = 0, b = _brTableCount;
        while (a < b)
        {
            int mid = (a + b) >>> 1;
            if (_brTables![mid] <= pc) a = mid + 1;
            else b = mid;
        }
        return a < _brTableCount ? _brTables![a] : int.MaxValue;
    }

    private static void Put(ref int[]? a, int i, int v)
    {
        a ??= new int[16];
        if (i == a.Length) Array.Resize(ref a, a.Length * 2);
        a[i] = v;
    }

    private bool WrittenIn(int local, int from, int to)
    {
        IndexWrites();
        var pcs = _writePcs;
        int a = _writeStart[local], end = _writeStart[local + 1];
        // The first write at or after from (the pcs ascend), then whether it comes before to: a local has few writes,
        // read in order; past 8 by binary search (a merge costs O(log n) whatever the body).
        if (end - a <= 8)
        {
            while (a < end && pcs[a] < from) a++;
        }
        else
        {
            int b = end;
            while (a < b)
            {
                int mid = (a + b) >>> 1;
                if (pcs[mid] < from) a = mid + 1;
                else b = mid;
            }
        }
        return a < end && pcs[a] < to;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Shl(ulong b, int c) => b == NoBound || b << c > uint.MaxValue ? NoBound : b << c;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Sum(ulong a, ulong b) => a == NoBound || b == NoBound || a + b > uint.MaxValue ? NoBound : a + b;

    /// <summary>
    /// When the address at stack position <paramref name="addrPos"/> plus <paramref name="offset"/> and
    /// <paramref name="size"/> bytes is statically inside the declared minimum memory, pushes the managed
    /// pointer to its first byte (memory base + zero-extended address + offset) and returns true; otherwise
    /// emits nothing and returns false.
    /// </summary>
    private bool TryEmitStaticAddress(int addrPos, long offset, int size)
    {
        ulong bound = BoundAt(addrPos);
        if (offset < 0) return false;
        if ((bound == NoBound || bound + (ulong)offset + (ulong)size > _minMemoryBytes) && !FitsRoom(addrPos, (ulong)offset + (ulong)size)) return false;
        if (TryEmitFoldedAddress(addrPos, offset)) return true;
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
        return true;
    }

    /// <summary>
    /// Emits a scalar access without a bounds check when its address is statically inside the declared
    /// minimum memory; returns false (nothing emitted) otherwise.
    /// </summary>
    private bool TryEmitUncheckedMemory(ushort op, long offset, ValType t, bool store, int size)
    {
        int addrPos = _stack.Count - (store ? 2 : 1);
        if (!TryEmitStaticAddress(addrPos, offset, size)) return false;
        EmitRawAccess(op, t, store, size, addrPos);
        return true;
    }

    /// <summary>
    /// With the managed pointer to the accessed bytes on the IL stack: the load or store itself (a store's
    /// value is the entry above <paramref name="addrPos"/>); pops the address (and value) entries, pushes a
    /// load's result.
    /// </summary>
    private void EmitRawAccess(ushort op, ValType t, bool store, int size, int addrPos)
    {
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
            Drop(addrPos, 2);
            return;
        }
        Drop(addrPos, 1);
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
    }

    /// <summary>
    /// A SIMD load or store (whole vector, extending, splat, zero-filling or lane) without a bounds check when
    /// its address is statically inside the declared minimum memory (as <see cref="TryEmitUncheckedMemory"/>):
    /// calls the same <see cref="Runtime.V128Ops"/> helper with the address already added to the memory's
    /// first byte, a length of int.MaxValue and address and offset 0, so the helper's check compares constants
    /// and the JIT drops it. Returns false (nothing emitted) otherwise.
    /// </summary>
    private bool TryEmitUncheckedSimdMemory(long offset, SimdOp op, int lane)
    {
        int operands = op.Kind == SimdKind.Load ? 1 : 2;
        int addrPos = _stack.Count - operands;
        if (!TryEmitStaticAddress(addrPos, offset, op.Size)) return false;
        _il.Emit(OpCodes.Ldc_I4, int.MaxValue);
        _il.Emit(OpCodes.Conv_U);
        _il.Emit(OpCodes.Ldc_I4_0);
        if (operands == 2) LdSlot(addrPos + 1);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Conv_I8);
        if (op.Kind is SimdKind.LoadLane or SimdKind.StoreLane) _il.Emit(OpCodes.Ldc_I4, lane);
        Drop(addrPos, operands);
        CallSimd(op.Helper, op.Kind is SimdKind.Load or SimdKind.LoadLane ? ValType.V128 : null);
        return true;
    }
}

