using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

internal sealed partial class FunctionCompiler
{
    private const ValType I = ValType.I32, L = ValType.I64, F = ValType.F32, D = ValType.F64;

    private void Emit(in Instr ins)
    {
        var il = _il;
        ushort op = ins.Op;
        if (op is 0x03 or 0x05 or 0x0B) _copyDst = -1; // paths merge: a copy seen on one need not hold
        switch (op)
        {
            case 0x00:
                _tokens.Emit(_il, OpCodes.Call, ClrTypes.TrapM(nameof(Trap.Unreachable)));
                MarkDead();
                return;
            case 0x01: return;
            case 0x02:
            {
                var (pi, po) = BlockType(ins.Imm);
                _frames.Add(new CFrame(op, il.DefineLabel(), _stack.Count - pi.Length, pi, po, _pc));
                return;
            }
            case 0x03:
            {
                var (pi, po) = BlockType(ins.Imm);
                var f = new CFrame(op, il.DefineLabel(), _stack.Count - pi.Length, pi, po, _pc);
                _frames.Add(f);
                _loopFrames++;
                il.MarkLabel(f.Label); // the header's fuel check is planned for the next instruction
                PlanHeaderCopy(f);
                PlanDispatch(f);
                ClearBounds(f.Height); // its parameters also arrive by the back edge
                return;
            }
            case 0x04:
            {
                var (pi, po) = BlockType(ins.Imm);
                Operands(1);
                var f = new CFrame(op, il.DefineLabel(), _stack.Count - pi.Length, pi, po, _pc) { Else = il.DefineLabel() };
                if (pi.Length > 0)
                {
                    f.SavedParams = new LocalBuilder[pi.Length];
                    for (int i = 0; i < pi.Length; i++)
                    {
                        f.SavedParams[i] = Saved(_frames.Count, i, pi[i]);
                        il.Emit(OpCodes.Ldloc, Slot(f.Height + i, pi[i]));
                        il.Emit(OpCodes.Stloc, f.SavedParams[i]);
                    }
                }
                il.Emit(OpCodes.Brfalse, f.Else);
                _frames.Add(f);
                return;
            }
            case 0x05:
            {
                var f = _frames[^1];
                if (!_dead) il.Emit(OpCodes.Br, f.Label);
                _dead = false;
                f.ElseSeen = true;
                il.MarkLabel(f.Else);
                Drop(f.Height, _stack.Count - f.Height);
                for (int i = 0; i < f.Params.Length; i++)
                {
                    il.Emit(OpCodes.Ldloc, f.SavedParams![i]);
                    Push(f.Params[i]);
                }
                return;
            }
            case 0x0B:
            {
                var f = _frames[^1];
                _frames.Pop();
                if (f.Op == 0x03) _loopFrames--;
                if (f.Op == 0x04 && !f.ElseSeen)
                {
                    // No else: the false path carries the parameters (= results) straight through.
                    if (!_dead) il.Emit(OpCodes.Br, f.Label);
                    il.MarkLabel(f.Else);
                    for (int i = 0; i < f.Params.Length; i++)
                    {
                        il.Emit(OpCodes.Ldloc, f.SavedParams![i]);
                        il.Emit(OpCodes.Stloc, Slot(f.Height + i, f.Params[i]));
                    }
                }
                if (f.Op != 0x03) il.MarkLabel(f.Label);
                _dead = false;
                Drop(f.Height, _stack.Count - f.Height);
                _stack.AddRange(f.Results);
                ClearBounds(f.Height);
                if (f.Op == 0) EmitReturnSequence();
                return;
            }
            case 0x0C:
            {
                var f = Target(ins.Imm);
                int edge = _fuel != null && _fuelPlan.Edge is { } edges ? edges[_pc] : 0;
                if (edge != 0)
                {
                    // A back edge charged here for its block and the loop's header block (FuelPlan.Edge), or only
                    // checked when its join's predecessors took the charge (FuelPlan.CheckOnly). A live loop always
                    // has its body label (marked right after its header's charge); were it missing, the branch
                    // would enter at the header and be charged for it twice, never too little.
                    ChargeBlock(edge == FuelPlan.CheckOnly ? 0 : edge, true);
                    CopyTo(f.Height, f.LabelTypes);
                    if (f.HasRotated)
                    {
                        CopyHeaderLocal(f);
                        if (!TryDispatchCopy(f, true)) il.Emit(OpCodes.Br, f.Rotated);
                    }
                    else if (!TryDispatchCopy(f, false))
                    {
                        il.Emit(OpCodes.Br, f.HasBody ? f.Body : f.Label);
                    }
                }
                else if (f.HasRotated && _fuel == null)
                {
                    BranchRotated(f, true);
                }
                else if (CanDispatchCopy(f))
                {
                    // The header's own charge and check, then its copy (from its first instruction).
                    if (_fuel != null) ChargeBlock(_fuelPlan.Cost[f.Pc + 1], _fuelPlan.Check[f.Pc + 1]);
                    TryDispatchCopy(f, false);
                }
                else
                {
                    Branch(f);
                }
                MarkDead();
                return;
            }
            case 0x0D:
                BrIf(ins.Imm);
                return;
            case 0x0E:
                NoteDispatchBlocks();
                EmitBrTable(_body.Tables[ins.Imm]);
                MarkDead();
                return;
            case 0x0F:
                Branch(_frames[0]);
                MarkDead();
                return;
            case 0x10:
                EmitCall((uint)ins.Imm);
                return;
            case 0x11:
                EmitCallIndirect((uint)ins.Imm, ins.Imm2);
                return;
            case 0x1A:
                Drop(_stack.Count - 1, 1);
                return;
            case 0x1B or 0x1C:
            {
                Operands(1);
                int c = _stack.Count;
                var t = _stack[c - 1];
                var keep = il.DefineLabel();
                il.Emit(OpCodes.Brtrue, keep);
                il.Emit(OpCodes.Ldloc, Slot(c - 1, t));
                il.Emit(OpCodes.Stloc, Slot(c - 2, t));
                il.MarkLabel(keep);
                Drop(c - 1, 1);
                return;
            }
            case 0x20:
                GetLocal((int)ins.Imm);
                return;
            case 0x21:
                SetLocal((int)ins.Imm);
                return;
            case 0x22:
                TeeLocalCopy((int)ins.Imm);
                return;
            case 0x23:
            {
                var t = GlobalType((int)ins.Imm);
                LdGlobal((int)ins.Imm);
                _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.GlobalField(t));
                Push(t);
                return;
            }
            case 0x24:
            {
                var t = GlobalType((int)ins.Imm);
                LdGlobal((int)ins.Imm);
                Operands(1);
                _tokens.Emit(_il, OpCodes.Stfld, ClrTypes.GlobalField(t));
                return;
            }
            case 0x25:
            {
                var t = TableElemType((int)ins.Imm);
                LdCtx();
                il.Emit(OpCodes.Ldc_I4, (int)ins.Imm);
                Operands(1);
                _tokens.Emit(_il, OpCodes.Call, ClrTypes.Op(nameof(Ops.TableGet)));
                Push(t);
                return;
            }
            case 0x26:
                LdCtx();
                il.Emit(OpCodes.Ldc_I4, (int)ins.Imm);
                Operands(2);
                _tokens.Emit(_il, OpCodes.Call, ClrTypes.Op(nameof(Ops.TableSet)));
                return;
            case 0x6A when TryDeferAdd():
                return;
            case 0x77 or 0x78 or 0x89 or 0x8A when !IsDeferred(_stack.Count - 1) || _lazyKind[_stack.Count - 1] is not (OfI32 or OfI64):
                EmitVariableRotate(op);
                return;
            case >= 0x28 and <= 0x3E:
                EmitMemory(op, ins.Imm);
                return;
            case 0x3F:
                LdCtx();
                _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.InstMemory);
                _tokens.Emit(_il, OpCodes.Call, ClrTypes.MemPages);
                Push(I);
                return;
            case 0x40:
            {
                LdCtx();
                _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.InstMemory);
                Operands(1);
                _tokens.Emit(_il, OpCodes.Call, ClrTypes.MemGrow);
                Push(I);
                ReloadMemory();
                // A successful growth copies the whole memory: 1024 units per page of the new size.
                int r = _stack.Count - 1;
                Charge(() => ChargeGrowth(r, () =>
                {
                    LdCtx();
                    _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.InstMemory);
                    _tokens.Emit(_il, OpCodes.Call, ClrTypes.MemPages);
                }, 10));
                return;
            }
            case 0x41: PushDeferred(I, OfI32, (int)ins.Imm); return;
            case 0x42: PushDeferred(L, OfI64, ins.Imm); return;
            case 0x43: EmitF32Const((uint)ins.Imm); Push(F); return;
            case 0x44: EmitF64Const((ulong)ins.Imm); Push(D); return;
            case 0xD0: il.Emit(OpCodes.Ldnull); Push((ValType)ins.Imm); return;
            case 0xD1:
                Operands(1);
                il.Emit(OpCodes.Ldnull);
                il.Emit(OpCodes.Ceq);
                Push(I);
                return;
            case 0xD2:
                LdCtx();
                _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.InstFunctions);
                il.Emit(OpCodes.Ldc_I4, (int)ins.Imm);
                il.Emit(OpCodes.Ldelem_Ref);
                Push(ValType.FuncRef);
                return;
            case 0xFC08 or 0xFC0A or 0xFC0B or 0xFC0C or 0xFC0E or 0xFC11:
            {
                // Bulk work is charged after it succeeds, in proportion to its length n.
                int n = _stack.Count - 1;
                // The lambdas capture case-scoped copies only: capturing a method-scoped local (op, il) made
                // the compiler allocate their closure object on every call of Emit, i.e. per instruction.
                int shift = op is 0xFC08 or 0xFC0A or 0xFC0B ? 4 : 2;
                EmitBulkOrNumeric(in ins);
                Charge(() =>
                {
                    _il.Emit(OpCodes.Ldloc, Slot(n, I));
                    _il.Emit(OpCodes.Conv_U8);
                    _il.Emit(OpCodes.Ldc_I4, shift);
                    _il.Emit(OpCodes.Shr_Un);
                });
                return;
            }
            case 0xFC0F:
            {
                EmitBulkOrNumeric(in ins);
                int r = _stack.Count - 1;
                int table = (int)ins.Imm;
                Charge(() => ChargeGrowth(r, () =>
                {
                    LdCtx();
                    _il.Emit(OpCodes.Ldc_I4, table);
                    _tokens.Emit(_il, OpCodes.Call, ClrTypes.Op(nameof(Ops.TableSize)));
                }, -2));
                return;
            }
        }
        if (op >= 0xFD00)
        {
            EmitSimd(in ins);
            return;
        }
        EmitBulkOrNumeric(in ins);
    }

    /// <summary><c>br_if</c> <paramref name="depth"/>.</summary>
    private void BrIf(long depth)
    {
        var f = Target(depth);
        if (BranchUnlessBoth(f)) return; // i32.and of two comparisons; i32.eqz (FunctionCompiler.Numeric.cs)
        Operands(1);
        if (NeedsCopy(f))
        {
            var skip = _il.DefineLabel();
            _il.Emit(OpCodes.Brfalse, skip);
            Branch(f);
            _il.MarkLabel(skip);
        }
        else
        {
            _il.Emit(OpCodes.Brtrue, f.Label);
        }
    }

    /// <summary><c>local.set</c> <paramref name="local"/>.</summary>
    private void SetLocal(int local)
    {
        int top = _stack.Count - 1;
        int copied = NoteCopy(local, top);
        bool stored = false;
        MaterializeLocal(local, top, keep: false);
        if (copied < 0 && RotatesNext(local) is { } loop)
        {
            // The branch right after enters loop past its header's copy b = local: this value goes to b too.
            MaterializeLocal(loop.RotTo, top, keep: false);
            LdSlot(top);
            _il.Emit(OpCodes.Dup);
            StLocal(local);
            StLocal(loop.RotTo);
            ForgetSums(loop.RotTo);
            if (loop.RotTo == _copyDst || loop.RotTo == _copySrc) _copyDst = -1;
            _rotatedAt = _pc + 1;
        }
        else if (!(stored = TryStorePartialSum(local, top)))
        {
            LdSlot(top);
            StLocal(local);
        }
        if (!stored && !RecordSum(local, top) && _localTypes[local] == ValType.V128) RecordV128Const(local, top);
        Drop(top, 1);
        if (copied >= 0) (_copyDst, _copySrc) = (local, copied);
    }

    /// <summary><c>local.tee</c> <paramref name="local"/>, noting a plain copy of another local (NoteCopy).</summary>
    private void TeeLocalCopy(int local)
    {
        int copied = NoteCopy(local, _stack.Count - 1);
        TeeLocal(local);
        if (copied >= 0) (_copyDst, _copySrc) = (local, copied);
    }

    /// <summary>
    /// Pushes the fuel for a growth whose result is in slot <paramref name="result"/>: zero when it
    /// failed (-1), else the new size scaled by 2^<paramref name="shift"/>.
    /// </summary>
    private void ChargeGrowth(int result, Action loadNewSize, int shift)
    {
        var failed = _il.DefineLabel();
        var done = _il.DefineLabel();
        _il.Emit(OpCodes.Ldloc, Slot(result, I));
        _il.Emit(OpCodes.Ldc_I4_M1);
        _il.Emit(OpCodes.Beq, failed);
        loadNewSize();
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Ldc_I4, Math.Abs(shift));
        _il.Emit(shift >= 0 ? OpCodes.Shl : OpCodes.Shr_Un);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(failed);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Conv_I8);
        _il.MarkLabel(done);
    }

    private void EmitBulkOrNumeric(in Instr ins)
    {
        ushort op = ins.Op;
        switch (op)
        {
            case 0xFC08: CallOp(nameof(Ops.MemoryInit), 3, null, (int)ins.Imm); return;
            case 0xFC09: CallOp(nameof(Ops.DataDrop), 0, null, (int)ins.Imm); return;
            case 0xFC0A: CallOp(nameof(Ops.MemoryCopy), 3, null); return;
            case 0xFC0B: CallOp(nameof(Ops.MemoryFill), 3, null); return;
            case 0xFC0C: CallOp(nameof(Ops.TableInit), 3, null, (int)ins.Imm2, (int)ins.Imm); return;
            case 0xFC0D: CallOp(nameof(Ops.ElemDrop), 0, null, (int)ins.Imm); return;
            case 0xFC0E: CallOp(nameof(Ops.TableCopy), 3, null, (int)ins.Imm, (int)ins.Imm2); return;
            case 0xFC0F: CallOp(nameof(Ops.TableGrow), 2, I, (int)ins.Imm); return;
            case 0xFC10: CallOp(nameof(Ops.TableSize), 0, I, (int)ins.Imm); return;
            case 0xFC11: CallOp(nameof(Ops.TableFill), 3, null, (int)ins.Imm); return;
        }
        EmitNumeric(op);
    }

    private void CallOp(string name, int operands, ValType? result, params int[] immediates)
    {
        LdCtx();
        foreach (var i in immediates) _il.Emit(OpCodes.Ldc_I4, i);
        Operands(operands);
        _tokens.Emit(_il, OpCodes.Call, ClrTypes.Op(name));
        if (result is ValType r) Push(r);
    }

    /// <summary>
    /// Right after a loop header's fuel charge and check: where the back edges the plan charges
    /// themselves (<see cref="FuelPlan.Edge"/>) enter the loop.
    /// </summary>
    private void MarkLoopBody(int pc)
    {
        var f = _frames[^1];
        if (f.Op != 0x03 || f.Pc != pc - 1) return;
        f.Body = _il.DefineLabel();
        _il.MarkLabel(f.Body);
        f.HasBody = true;
    }

    private void EmitBrTable(uint[] table)
    {
        var il = _il;
        // The index stays on the IL stack, zero-extended to a native int (the JIT takes it as a switch operand):
        // the JIT then compares and indexes its jump table in 64 bits with no zero-extension of its own,
        // and the load or arithmetic that produced the i32 has already cleared the upper half.
        Operands(1);
        il.Emit(OpCodes.Conv_U);
        var labels = new Label[table.Length - 1];
        // Targets that need their own code (operand copies, a rotated entry) get one trampoline per depth, in the
        // order first used; most tables have none (no collections then).
        Dictionary<uint, Label>? trampolines = null;
        List<(uint Depth, Label Label)>? pending = null;
        for (int i = 0; i < labels.Length; i++)
        {
            var f = Target(table[i]);
            if (!NeedsCopy(f) && !f.HasRotated)
            {
                labels[i] = f.Label;
            }
            else if (trampolines == null || !trampolines.TryGetValue(table[i], out labels[i]))
            {
                labels[i] = il.DefineLabel();
                (trampolines ??= [])[table[i]] = labels[i];
                (pending ??= []).Add((table[i], labels[i]));
            }
        }
        il.Emit(OpCodes.Switch, labels);
        BranchOrRotated(Target(table[^1]));
        if (pending == null) return;
        foreach (var (depth, label) in pending)
        {
            il.MarkLabel(label);
            BranchOrRotated(Target(depth));
        }
    }

    private void BranchOrRotated(CFrame f)
    {
        if (f.HasRotated) BranchRotated(f);
        else Branch(f);
    }

    /// <summary>
    /// At a <c>loop</c>: when its first instructions are <c>local.get a; local.tee b</c> (or <c>local.set b</c>), as
    /// clang's code for a loop-carried value copied at the header is (an interpreter's <c>pc</c>), plans to rotate
    /// that copy into the loop's back edges (<see cref="MarkLoopRotated"/>, <see cref="BranchRotated"/>).
    /// </summary>
    /// <remarks>
    /// A <c>br</c> or <c>br_table</c> to the loop then does <c>b = a</c> itself and enters past the header's copy,
    /// which emits exactly that copy (the <c>local.get</c> is deferred and the loop instruction materialised every
    /// stack entry, so no other store comes between). The branch copies from the local <c>a</c> was just copied
    /// from (<c>a = c; br</c> becomes <c>a = c; b = c</c>) or stores the value of a <c>local.set a</c> right before
    /// it into both, so <c>a</c> is no longer read around the loop when only the header read it: the JIT drops
    /// the stores to it and their register copies (it neither sinks a copy out of a loop header nor coalesces
    /// the two locals, nor forwards <c>c</c> through <c>a = c; b = a</c> itself). Nothing observable changes: every
    /// path gives <c>b</c> the value the header's copy would, at the same point.
    /// </remarks>
    private void PlanHeaderCopy(CFrame f)
    {
        int pc = f.Pc;
        if (pc + 2 >= _code.Length) return;
        ref readonly var get = ref _code[pc + 1];
        ref readonly var set = ref _code[pc + 2];
        if (get.Op != 0x20 || set.Op is not (0x21 or 0x22) || get.Imm == set.Imm) return;
        f.RotFrom = (int)get.Imm;
        f.RotTo = (int)set.Imm;
        f.Rotated = _il.DefineLabel();
    }

    /// <summary>Right after the header's copy of a loop at <paramref name="loopPc"/> planned by <see cref="PlanHeaderCopy"/>: where its rotated branches enter.</summary>
    private void MarkLoopRotated(int loopPc)
    {
        if (_frames.Count == 0) return; // the function's end
        var f = _frames[^1];
        if (f.Op != 0x03 || f.Pc != loopPc || f.RotFrom < 0) return;
        _il.MarkLabel(f.Rotated);
        f.HasRotated = true;
    }

    // The last local.set/local.tee of a local (_copyDst) from another local's value (_copySrc), while both still
    // hold that value in this straight-line stretch (-1: none): a rotated branch copies from the source, so the
    // JIT sees one copy and the destination's store goes dead when only the header read it.
    private int _copyDst = -1, _copySrc;
    // The pc of a rotated branch whose header copy the local.set right before it already did.
    private int _rotatedAt = -1;

    /// <summary>
    /// Before a write of <paramref name="local"/> with the value at <paramref name="top"/>: ends the copy it breaks;
    /// returns the local the value is a plain copy of (then recorded by the caller after the write), else -1.
    /// </summary>
    private int NoteCopy(int local, int top)
    {
        if (local == _copyDst || local == _copySrc) _copyDst = -1;
        return IsDeferred(top) && _lazyKind[top] == OfLocal && _lazyValue[top] != local ? (int)_lazyValue[top] : -1;
    }

    /// <summary>The loop that the instruction after this one (a <c>br</c>) enters rotated, when its header copies <paramref name="local"/>.</summary>
    private CFrame? RotatesNext(int local)
    {
        int next = _pc + 1;
        if (next >= _code.Length || _code[next].Op != 0x0C) return null;
        var f = Target(_code[next].Imm);
        if (!f.HasRotated || f.RotFrom != local || f.RotTo == local) return null;
        bool rotates = _fuel == null || _fuelPlan.Edge is { } edges && edges[next] != 0;
        return rotates ? f : null;
    }

    /// <summary>The header's leading copy of loop <paramref name="f"/>, done by a branch to it (from what the copied local holds a copy of, if known).</summary>
    private void CopyHeaderLocal(CFrame f)
    {
        if (_rotatedAt == _pc) return;
        int from = f.RotFrom == _copyDst ? _copySrc : f.RotFrom;
        if (from == f.RotTo) return;
        LdLocal(from);
        StLocal(f.RotTo);
    }

    /// <summary>
    /// Enters loop <paramref name="f"/> past its header's copy: operand copies, the header block's charge and
    /// check as its label does (fuel), the copy, then the branch.
    /// </summary>
    private void BranchRotated(CFrame f, bool dispatch = false)
    {
        CopyTo(f.Height, f.LabelTypes);
        if (_fuel != null)
        {
            int h = f.Pc + 1;
            if (_fuelPlan.Cost[h] > 0 || _fuelPlan.Check[h]) ChargeBlock(_fuelPlan.Cost[h], _fuelPlan.Check[h]);
        }
        CopyHeaderLocal(f);
        if (!dispatch || !TryDispatchCopy(f, true)) _il.Emit(OpCodes.Br, f.Rotated);
    }

    private void LdLocal(int i)
    {
        if (i < _paramCount && !_inlined) _il.Emit(OpCodes.Ldarg, i);
        else Ldloc(_locals[i].L!);
    }

    private void StLocal(int i)
    {
        if (i < _paramCount && !_inlined) _il.Emit(OpCodes.Starg, i);
        else Stloc(_locals[i].L!);
    }

    private ValType GlobalType(int index) => _m.GlobalTypeAt(index).Type;

    private ValType TableElemType(int index) => _m.TableTypeAt(index).ElemType;

    private void LdGlobal(int index)
    {
        LdCtx();
        _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.InstGlobals);
        _il.Emit(OpCodes.Ldc_I4, index);
        _il.Emit(OpCodes.Ldelem_Ref);
    }

    private void EmitMemory(ushort op, long offset)
    {
        var (t, size, store) = OpInfo.Memory(_memoryOps, op);
        // An address that is exactly a local's value: once the access is done, local + offset + size is in bounds.
        int addrPos = _stack.Count - (store ? 2 : 1);
        int exact = IsDeferred(addrPos) && _lazyKind[addrPos] == OfLocal ? (int)_lazyValue[addrPos] : -1;
        int plan = _cover == null ? 0 : _cover[_pc];
        if (!TryEmitCoveredMemory(op, offset, t, store, size) && !TryEmitUncheckedMemory(op, offset, t, store, size))
        {
            LdMemory();
            Operands(store ? 2 : 1);
            _il.Emit(OpCodes.Ldc_I8, offset);
            _tokens.Emit(_il, OpCodes.Call, MemoryHelper(op));
            if (!store)
            {
                if (op is >= 0x30 and <= 0x33) _il.Emit(OpCodes.Conv_I8);
                Push(t);
            }
        }
        // A group's head showed its whole span (FunctionCompiler.Cover.cs), any other access its own bytes.
        if (exact >= 0) RecordSpan(exact, plan > 0 ? (ulong)(plan >> 2) : (ulong)offset + (ulong)size);
    }

    // The checked access helper per memory opcode (0x28-0x3E), looked up by name once rather than per access.
    private static readonly System.Reflection.MethodInfo?[] MemoryHelpers = new System.Reflection.MethodInfo?[0x3E - 0x28 + 1];

    private static System.Reflection.MethodInfo MemoryHelper(ushort op) => MemoryHelpers[op - 0x28] ??= ClrTypes.Mem(op switch
        {
            0x28 => nameof(Memory.LoadI32), 0x29 => nameof(Memory.LoadI64), 0x2A => nameof(Memory.LoadF32), 0x2B => nameof(Memory.LoadF64),
            0x2C => nameof(Memory.Load8S), 0x2D => nameof(Memory.Load8U), 0x2E => nameof(Memory.Load16S), 0x2F => nameof(Memory.Load16U),
            0x30 => nameof(Memory.Load8S), 0x31 => nameof(Memory.Load8U), 0x32 => nameof(Memory.Load16S), 0x33 => nameof(Memory.Load16U),
            0x34 => nameof(Memory.Load32S), 0x35 => nameof(Memory.Load32U),
            0x36 => nameof(Memory.StoreI32), 0x37 => nameof(Memory.StoreI64), 0x38 => nameof(Memory.StoreF32), 0x39 => nameof(Memory.StoreF64),
            0x3A => nameof(Memory.Store8), 0x3B => nameof(Memory.Store16), 0x3C => nameof(Memory.Store8L), 0x3D => nameof(Memory.Store16L),
            _ => nameof(Memory.Store32L),
        });
}
