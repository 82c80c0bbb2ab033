using System.Reflection.Emit;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Deferred operand-stack values. A <c>local.get</c> or an integer constant does not copy its value into
/// the stack slot's IL local: the stack entry remembers where the value is (the wasm local, or the
/// constant) and its consumer loads it from there. Otherwise every <c>local.get</c> is an IL copy into a
/// slot local that is defined many times over the method, which the JIT keeps as a register move
/// (measured: 4-6 extra <c>mov</c>s per iteration of the bench kernels' loops), and a constant operand
/// reaches the JIT only through such a local.
/// <para>
/// A deferred entry is stored into its slot ("materialised") before its local is written (<c>local.set</c>,
/// <c>local.tee</c>: the entry holds the value from before the write, spec §4.4.5), and before any
/// instruction that reads or writes slots directly or merges control paths (<see cref="Materializes"/>:
/// blocks, branches, <c>select</c>, bulk operations): so at every label all entries are in their slots,
/// whichever path reached it, as they were before this deferral.
/// </para>
/// </summary>
internal sealed partial class FunctionCompiler
{
    private const byte Eager = 0, OfLocal = 1, OfI32 = 2, OfI64 = 3, OfSlotPlus = 4, OfLocalPlus = 5;
    // The entry's slot plus a local (i32 or i64, wrapping): an add of a local deferred past the adds that follow it
    // (FunctionCompiler.Numeric.cs, TryReassociateAdd).
    // (_lazyAdd: for a sum through known partial sums, the links so far, TryStorePartialSum.)
    private const byte OfSlotPlusLocal = 6;
    // Local _lazyValue plus local _lazyAdd, both bounded so that the i32 sum never wraps: an address that the next
    // instruction, a load, consumes (FunctionCompiler.Numeric.cs, TryDeferLocalSum).
    private const byte OfLocalPlusLocal = 7;
    // How a deferred i32 sum base + c may be computed as a native address: 0 not exactly, else by sign- or
    // zero-extending base and adding c (no 32-bit wrap possible, FoldOf).
    private const byte NoFold = 0, FoldSigned = 1, FoldUnsigned = 2;
    // A KnownSum's Fold value for a v128 constant its local holds, not a sum (FunctionCompiler.Simd.cs, RecordV128Const).
    private const byte KnownV128 = 3;
    // A KnownSum's Fold value for a local Target = Base + _partials[Target] (wrapping i32 or i64), Add links in the chain
    // so far (TryStorePartialSum).
    private const byte KnownPartial = 4;
    // A partial sum is kept for a chain's first link only: the second link's (P + X) + R is stored as a plain value and
    // the next link starts a new chain from it (Adler-32's a1..a4: two adds from a per four terms, not one per term).
    // One temporary live at a time: with a partial per link (one more live value each) the JIT spilled a loop-carried
    // local of the checksum kernel (Adler loop 21 x64 instructions, Fletcher's s1 through memory); with one, none
    // (18 and 17).
    private const int MaxPartialLinks = 2;
    // Per local: the temporary that holds the computed part of its value while a KnownPartial record for it is kept.
    private LocalBuilder?[]? _partials;
    // Per stack position (this compiler's own, not counting _slotBase): where a deferred value is. Positions
    // at or above _stack.Count are always Eager (Drop clears them).
    private byte[] _lazyKind;
    private long[] _lazyValue;
    private int[] _lazyAdd;
    private byte[] _lazyFold;
    // Compile time stays linear in the body whatever the module: MaterializeAll scans only from the lowest
    // position deferred since it last ran, and a local write scans only the positions once pushed as that
    // local's alias (entries may be stale: each is checked, and the list is emptied by the scan).
    private int _deferredFloor = int.MaxValue;
    // Per local, a chain of the positions pushed as its alias: node i is (_nodePos[i], next _nodeNext[i]);
    // _aliasHead[local] is node + 1, 0 for none. Nodes are never reused, so a stale node (its position popped
    // or re-pushed) is only skipped or, if the position holds the local's alias again, materialised.
    private int[]? _aliasHead;
    private int[] _nodePos = [], _nodeNext = [];
    private int _nodeCount;

    /// <summary>Instructions that may read or write stack slots directly, or branch or merge: every deferred entry is materialised first.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    // Only opcodes below 0x1D, 0x40 and prefixed ones: EmitPrologueAt tests those ranges before asking.
    private static bool Materializes(ushort op) =>
        op is (>= 0x02 and <= 0x0F) or 0x1B or 0x1C or 0x40 || op is >= 0xFC08 and <= 0xFC11;

    /// <summary>Pushes a wasm stack entry whose value stays where it is (local <paramref name="value"/>, or the constant).</summary>
    private void PushDeferred(ValType t, byte kind, long value)
    {
        _stack.Add(t);
        int pos = _stack.Count - 1;
        SetBound(pos);
        Defer(pos, kind, value);
    }

    private void Defer(int pos, byte kind, long value, int add = 0, byte fold = NoFold, bool aliased = false)
    {
        EnsureBounds(pos);
        _lazyKind[pos] = kind;
        _lazyValue[pos] = value;
        _lazyAdd[pos] = add;
        _lazyFold[pos] = fold;
        if (pos < _deferredFloor) _deferredFloor = pos;
        // aliased: pos already read local value and its node is in the local's chain (a local's entry redefined).
        if (aliased || kind is not (OfLocal or OfLocalPlus or OfSlotPlusLocal)) return;
        AddAlias((int)value, pos);
    }

    private void AddAlias(int local, int pos)
    {
        _aliasHead ??= Ensure(ref _scratch.AliasHead, _localTypes.Length);
        if (_nodeCount == _nodePos.Length) GrowNodes();
        _nodePos[_nodeCount] = pos;
        _nodeNext[_nodeCount] = _aliasHead[local] - 1;
        _aliasHead[local] = ++_nodeCount;
    }


    /// <summary>
    /// Room for one more alias node: first the arrays of this compiler's scratch set (their entries are written before
    /// they are read: nodes below _nodeCount only), then grown, and kept for the level's next compiler (FunctionCompiler.Scratch.cs).
    /// </summary>
    private void GrowNodes()
    {
        var s = _scratch;
        if (_nodePos.Length == 0 && s.NodePos.Length > 0)
        {
            (_nodePos, _nodeNext) = (s.NodePos, s.NodeNext);
            return;
        }
        int n = Math.Max(16, _nodeCount * 2);
        Array.Resize(ref _nodePos, n);
        Array.Resize(ref _nodeNext, n);
        if (n <= MaxKept) (s.NodePos, s.NodeNext) = (_nodePos, _nodeNext);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool IsDeferred(int pos) => pos < _lazyKind.Length && _lazyKind[pos] != Eager;

    /// <summary>Removes the top <paramref name="n"/> entries, from position <paramref name="from"/>.</summary>
    private void Drop(int from, int n)
    {
        for (int i = from; i < from + n && i < _lazyKind.Length; i++) _lazyKind[i] = Eager;
        // The top entries: the count shrinks (no RemoveRange call with its checks and copy on the hot path).
        if (from + n == _stack.Count) _stack.SetCount(from);
        else _stack.RemoveRange(from, n);
    }

    /// <summary>Pushes the value of stack entry <paramref name="pos"/> onto the IL stack, from wherever it is.</summary>
    private void LdSlot(int pos)
    {
        if (!IsDeferred(pos))
        {
            Ldloc(Slot(pos, _stack[pos]));
            return;
        }
        switch (_lazyKind[pos])
        {
            case OfLocal: LdLocal((int)_lazyValue[pos]); break;
            case OfI32: _il.Emit(OpCodes.Ldc_I4, (int)_lazyValue[pos]); break;
            case OfI64: _il.Emit(OpCodes.Ldc_I8, _lazyValue[pos]); break;
            case OfSlotPlusLocal:
                _il.Emit(OpCodes.Ldloc, Slot(pos, _stack[pos]));
                LdLocal((int)_lazyValue[pos]);
                _il.Emit(OpCodes.Add);
                break;
            case OfLocalPlusLocal:
                LdLocal((int)_lazyValue[pos]);
                LdLocal(_lazyAdd[pos]);
                _il.Emit(OpCodes.Add);
                break;
            default:
                LdBase(pos);
                _il.Emit(OpCodes.Ldc_I4, _lazyAdd[pos]);
                _il.Emit(OpCodes.Add);
                break;
        }
    }

    /// <summary>The base of a deferred sum at <paramref name="pos"/>: its slot (which still holds the base) or its local.</summary>
    private void LdBase(int pos)
    {
        if (_lazyKind[pos] == OfSlotPlus) Ldloc(Slot(pos, _stack[pos]));
        else LdLocal((int)_lazyValue[pos]);
    }

    /// <summary>
    /// <c>i32.add</c> of a value with known facts and a constant c on top, whose exact sum is always in
    /// [0, 2^32) so the 32-bit wrap never happens: deferred as base + c, which an access then adds to the
    /// memory's first byte as a native offset (<see cref="TryEmitFoldedAddress"/>), so the JIT folds c into
    /// the addressing mode. A local plus c without such facts is deferred too (<see cref="NoFold"/>: computed as
    /// a wrapping i32 add where it is consumed), so the JIT sees it inside its consumer's expression: stored
    /// into a slot first, a statement that writes another local between (clang's <c>stack[--sp]</c>: the frame
    /// + 16, then <c>sp</c> written, then the scaled index added) kept it from folding the two adds into one
    /// <c>lea</c>. A <c>local.set/tee</c> of such a sum stores it (no known sum is kept for it: reads of the
    /// target local then recomputing base + c made the JIT hold extra copies). Returns false (nothing done)
    /// otherwise.
    /// </summary>
    private bool TryDeferAdd()
    {
        int top = _stack.Count - 1, b = top - 1;
        if (b < 0 || !IsDeferred(top) || _lazyKind[top] != OfI32 || _stack[b] != ValType.I32) return false;
        byte baseKind = IsDeferred(b) ? _lazyKind[b] : Eager;
        if (baseKind is not (Eager or OfLocal)) return false;
        long c = (int)_lazyValue[top];
        byte fold = NoFold;
        // Unsigned bound of the base and c >= 0: the exact sum is in [0, bound + c]. Preferred: the JIT knows a
        // 32-bit result is already zero-extended, so the extension costs nothing.
        if (BoundAt(b) is var bound && bound != NoBound && c >= 0 && bound + (ulong)c <= uint.MaxValue) fold = FoldUnsigned;
        // Signed range [lo, hi] of the base: the exact sum is in [lo + c, hi + c].
        else if (RangeAt(b, out long lo, out long hi) && lo + c >= 0 && hi + c <= uint.MaxValue) fold = FoldSigned;
        if (fold == NoFold && baseKind != OfLocal) return false; // an unbounded slot: nothing to gain
        long local = baseKind == OfLocal ? _lazyValue[b] : 0;
        Drop(top, 1); // the base's entry stays (i32), redefined below
        SetBound(b);
        // A local's entry stays its alias (its node is in the chain since its local.get, MaterializeLocal).
        Defer(b, baseKind == OfLocal ? OfLocalPlus : OfSlotPlus, local, (int)c, fold, aliased: baseKind == OfLocal);
        return true;
    }

    /// <summary>
    /// Pushes memory's first byte + the address at <paramref name="pos"/> + <paramref name="offset"/> as a native
    /// sum when that address is a deferred foldable sum; returns false (nothing emitted) otherwise.
    /// </summary>
    private bool TryEmitFoldedAddress(int pos, long offset)
    {
        if (!IsDeferred(pos) || _lazyFold[pos] == NoFold) return false;
        if (_lazyKind[pos] == OfLocalPlusLocal)
        {
            EmitLocalSumAddress(pos, offset);
            return true;
        }
        if (_lazyKind[pos] is not (OfSlotPlus or OfLocalPlus)) return false;
        _il.Emit(OpCodes.Ldloc, _memData!);
        LdBase(pos);
        _il.Emit(_lazyFold[pos] == FoldSigned ? OpCodes.Conv_I : OpCodes.Conv_U);
        _il.Emit(OpCodes.Ldc_I8, _lazyAdd[pos] + offset);
        _il.Emit(OpCodes.Conv_I);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Add);
        return true;
    }

    /// <summary>Stores deferred entry <paramref name="pos"/> into its slot.</summary>
    private void Materialize(int pos)
    {
        if (!IsDeferred(pos)) return;
        LdSlot(pos);
        _lazyKind[pos] = Eager;
        Stloc(Slot(pos, _stack[pos]));
    }

    private void MaterializeAll()
    {
        for (int i = _deferredFloor; i < _stack.Count; i++) Materialize(i);
        _deferredFloor = int.MaxValue;
    }

    /// <summary>
    /// Before local <paramref name="local"/> is written: entries below <paramref name="below"/> that still read it get its
    /// current value. <paramref name="keep"/> false: the entries from <paramref name="below"/> up are popped before any
    /// other instruction (<c>local.set</c>), so no alias node is kept for them.
    /// </summary>
    private void MaterializeLocal(int local, int below, bool keep = true)
    {
        if (_aliasHead == null || _aliasHead[local] == 0) return;
        bool keepTop = false;
        for (int node = _aliasHead[local] - 1; node >= 0; node = _nodeNext[node])
        {
            int i = _nodePos[node];
            if (i >= _stack.Count || !IsDeferred(i) || _lazyKind[i] is not (OfLocal or OfLocalPlus or OfSlotPlusLocal) || _lazyValue[i] != local) continue;
            if (i < below) Materialize(i);
            else keepTop = true;
        }
        _aliasHead[local] = 0;
        if (keepTop && keep) AddAlias(local, below);
    }

    /// <summary><c>local.tee</c>: the top entry's value goes to the local, and the entry then reads that local.</summary>
    private void TeeLocal(int local)
    {
        int top = _stack.Count - 1;
        MaterializeLocal(local, top);
        if (IsDeferred(top) && _lazyKind[top] == OfLocal && _lazyValue[top] == local) return; // local.get x; local.tee x
        if (TryStorePartialSum(local, top))
        {
            Defer(top, OfLocal, local);
            return;
        }
        LdSlot(top);
        StLocal(local);
        if (RecordSum(local, top)) return; // a foldable sum stays one
        RecordV128Const(local, top);
        if (IsDeferred(top) && _lazyKind[top] is OfI32 or OfI64) return; // a constant stays a constant
        Defer(top, OfLocal, local);
    }

    // Locals known to hold another local plus a constant, as a foldable sum (TryDeferAdd): clang computes an
    // address once into a local and uses it for a load and a store. A local.get of such a local pushes the sum
    // again, so both accesses fold it. Valid until either local is written or paths merge; at most 8 kept.
    // (Plain arrays and structs throughout this compiler state: generic collections over our own value types
    // are not precompiled by ReadyToRun and would be jitted at the first module compile.)
    private KnownSum[]? _sums;
    private int _sumCount;

    private struct KnownSum
    {
        public int Target, Base, Add;
        public byte Fold;
        /// <summary>With <see cref="Fold"/> = <see cref="KnownV128"/>: Target holds this v128 constant (Base = Target; FunctionCompiler.Simd.cs).</summary>
        public long Lo, Hi;
    }

    /// <summary>Before local <paramref name="local"/> is written: relations that read or define it end.</summary>
    private void ForgetSums(int local)
    {
        if (_sumCount == 0) return;
        int kept = 0;
        for (int i = 0; i < _sumCount; i++)
            if (_sums![i].Target != local && _sums[i].Base != local) _sums[kept++] = _sums[i];
        _sumCount = kept;
    }

    /// <summary>After the value at <paramref name="pos"/> was stored into <paramref name="local"/>: records it if it is a foldable sum of another local.</summary>
    private bool RecordSum(int local, int pos)
    {
        ForgetSums(local);
        if (!IsDeferred(pos) || _lazyKind[pos] != OfLocalPlus || _lazyValue[pos] == local || _lazyFold[pos] == NoFold) return false;
        AddKnownSum(new KnownSum { Target = local, Base = (int)_lazyValue[pos], Add = _lazyAdd[pos], Fold = _lazyFold[pos] });
        return true;
    }

    /// <summary>Keeps <paramref name="k"/> with the known sums (at most 8: the oldest goes).</summary>
    private void AddKnownSum(in KnownSum k)
    {
        _sums ??= _scratch.Sums; // entries past _sumCount are never read
        if (_sumCount == _sums.Length)
        {
            Array.Copy(_sums, 1, _sums, 0, _sumCount - 1);
            _sumCount--;
        }
        _sums[_sumCount++] = k;
    }

    /// <summary><c>local.get</c>: the local's value, deferred, as the sum it is known to hold if any.</summary>
    private void GetLocal(int local)
    {
        for (int i = 0; i < _sumCount; i++)
        {
            var r = _sums![i];
            if (r.Target != local || r.Fold == KnownPartial) continue;
            if (r.Fold == KnownV128)
            {
                EmitV128Const(r.Lo, r.Hi);
                Push(ValType.V128);
                return;
            }
            _stack.Add(ValType.I32);
            SetBound(_stack.Count - 1);
            Defer(_stack.Count - 1, OfLocalPlus, r.Base, r.Add, r.Fold);
            return;
        }
        PushDeferred(_localTypes[local], OfLocal, local);
    }

    /// <summary>
    /// <c>local.set/tee</c> <paramref name="local"/> of a deferred slot + R (<see cref="OfSlotPlusLocal"/>), R another
    /// local: stores the slot's value (the computed part P) into the local's partial temporary too, and records
    /// local = R + P (<see cref="KnownPartial"/>), so that an add of the local and another computed value X is computed
    /// as (P + X) + R (<see cref="TryReassociateAdd"/>): the chain through R stays one add long. The record ends where
    /// either local is written (<see cref="ForgetSums"/>) or at a merge that may write them, like the other known sums;
    /// only for a chain's first link (<see cref="MaxPartialLinks"/>) and while no computed value lies below the sum
    /// (<see cref="ValuesBelow"/>): one temporary live at a time. Returns false (nothing emitted) otherwise.
    /// </summary>
    private bool TryStorePartialSum(int local, int top)
    {
        if (!IsDeferred(top) || _lazyKind[top] != OfSlotPlusLocal || _lazyValue[top] == local || _lazyAdd[top] >= MaxPartialLinks) return false;
        if (ValuesBelow(top)) return false;
        var t = _stack[top];
        int r = (int)_lazyValue[top];
        _partials ??= new LocalBuilder?[_localTypes.Length];
        if (_partials[local] == null && _root._localCount + _root._paramSlots + 1 > _maxFrameSlots) return false; // a frame at the cap: no temporary
        var p = _partials[local] ??= Declare(ClrTypes.Of(t));
        _il.Emit(OpCodes.Ldloc, Slot(top, t));
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Stloc, p);
        LdLocal(r);
        _il.Emit(OpCodes.Add);
        StLocal(local);
        ForgetSums(local);
        AddKnownSum(new KnownSum { Target = local, Base = r, Add = _lazyAdd[top], Fold = KnownPartial });
        return true;
    }

    /// <summary>
    /// Whether a stack entry below <paramref name="top"/> holds a computed value (one not deferred as a local or a
    /// constant). Such values stay live across the link, next to the partial temporary, the local and the chain's
    /// terms: with terms loaded ahead of the adds (the checksum kernel's unrolled Fletcher loop, four loads then
    /// <c>s1 += w0</c>, <c>+= w1</c>...) the JIT then spills a loop-carried local, costing more than the shorter
    /// chain saves; a chain whose terms are computed one per link (Adler-32's) has nothing below its sum.
    /// </summary>
    private bool ValuesBelow(int top)
    {
        for (int i = 0; i < top; i++)
            if (!IsDeferred(i) || _lazyKind[i] is not (OfLocal or OfI32 or OfI64)) return true;
        return false;
    }

    /// <summary>The index in <see cref="_sums"/> of the KnownPartial record of <paramref name="local"/>, -1 for none.</summary>
    private int PartialOf(int local)
    {
        for (int i = 0; i < _sumCount; i++)
            if (_sums![i].Target == local && _sums[i].Fold == KnownPartial) return i;
        return -1;
    }
}
