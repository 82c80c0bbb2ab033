using System.Reflection.Emit;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Threaded dispatch (tail duplication): an interpreter's loop <c>loop; [local.get a; local.tee b]; ...;
/// block*; ...; br_table</c> dispatches every operation through one shared indirect jump at its header. A
/// <c>br</c> back to such a loop emits its own copy of the header instead of jumping to it, so each operation
/// ends in its own indirect jump (its own branch-predictor entry), as a threaded interpreter's does.
/// </summary>
/// <remarks>
/// The copy is the header's code emitted again at the branch, with the same frames (the header's blocks, so
/// the copy's <c>br_table</c> jumps to the same labels), after the charge and check the branch would have done
/// (the header block's own, or the back edge's, FuelPlan.Edge) and the rotated copy (PlanHeaderCopy): every
/// path runs the same instructions with the same fuel and the same trap points as through the header. Only
/// straight-line headers qualify (<see cref="PlanDispatch"/>: locals, constants, i32 arithmetic without traps,
/// loads, at most <see cref="MaxDispatchTable"/> blocks, at most <see cref="MaxDispatchHeader"/> other instructions and one fuel block) and a function
/// copies at most <see cref="MaxDispatchCopied"/> instructions in all. Facts the copy would derive are not
/// used or kept: it is emitted without bounds facts (checked like the header, which starts from a merge), and
/// the compiler's known sums are restored after it (less the partial sums, whose temporaries the copy may not
/// have written), so the code after the branch (dead until the next label) is compiled as without the copy.
/// </remarks>
internal sealed partial class FunctionCompiler
{
    /// <summary>Tests: no dispatch copies on this thread (the header's shared dispatch at every back edge).</summary>
    [ThreadStatic] internal static bool NoDispatchCopies;
    /// <summary>Tests: the number of dispatch copies emitted on this thread.</summary>
    [ThreadStatic] internal static int DispatchCopies;

    private const int MaxDispatchHeader = 24, MaxDispatchTable = 33, MaxDispatchCopied = 1024;
    private int _dispatchCopied;
    private bool _replaying;

    /// <summary>
    /// At loop <paramref name="f"/>: whether its header is a short straight-line dispatch ending in a
    /// <c>br_table</c> (<see cref="CFrame.DispatchEnd"/>, its pc), so branches back to the loop may copy it.
    /// </summary>
    private void PlanDispatch(CFrame f)
    {
        if (NoDispatchCopies || _inlined || f.Params.Length > 0 || _replaying) return;
        int n = 0, blocks = 0;
        for (int pc = f.Pc + 1; pc < _code.Length; pc++)
        {
            ref readonly var ins = ref _code[pc];
            ushort op = ins.Op;
            // Within one fuel block: charged and checked at its start only.
            if (_fuel != null && pc > f.Pc + 1 && (_fuelPlan.Cost[pc] != 0 || _fuelPlan.Check[pc])) return;
            if (op == 0x02)
            {
                if (ins.Imm != -64 || ++blocks > MaxDispatchTable) return;
                continue;
            }
            if (op == 0x0E)
            {
                if (_body.Tables[ins.Imm].Length <= MaxDispatchTable) f.DispatchEnd = pc;
                return;
            }
            // nop, locals, constants, i32 arithmetic that cannot trap, loads (which trap as the header's do).
            bool plain = op is 0x01 or 0x20 or 0x21 or 0x22 or 0x41 or 0x28 or (>= 0x2C and <= 0x2F)
                || op is >= 0x6A and <= 0x78 and not (>= 0x6D and <= 0x70);
            if (!plain || ++n > MaxDispatchHeader) return;
        }
    }

    /// <summary>At the header's <c>br_table</c> (pc <see cref="CFrame.DispatchEnd"/>): records the header's blocks for the copies.</summary>
    private void NoteDispatchBlocks()
    {
        for (int i = _frames.Count - 1; i >= 0; i--)
        {
            var f = _frames[i];
            if (f.Op != 0x03) continue;
            if (f.DispatchEnd == _pc && !_replaying) f.DispatchBlocks = _frames.From(i + 1);
            return;
        }
    }

    /// <summary>Whether a <c>br</c> to loop <paramref name="f"/> here copies its header (<see cref="TryDispatchCopy"/>).</summary>
    private bool CanDispatchCopy(CFrame f) =>
        f.DispatchBlocks != null && !_replaying && _stack.Count == f.Height
        && _dispatchCopied + (f.DispatchEnd - f.Pc) <= MaxDispatchCopied;

    /// <summary>
    /// At a <c>br</c> to loop <paramref name="f"/>, after its operands, charge and check (and the header's
    /// rotated copy when <paramref name="rotated"/>): emits the header's copy in place of the jump, when the
    /// loop has one planned. False: nothing emitted, the caller jumps.
    /// </summary>
    private bool TryDispatchCopy(CFrame f, bool rotated)
    {
        if (!CanDispatchCopy(f)) return false;
        int from = rotated ? f.Pc + 3 : f.Pc + 1, end = f.DispatchEnd;
        _dispatchCopied += end - from + 1;
        DispatchCopies++;
        int loop = _frames.IndexOf(f);
        var inner = _frames.From(loop + 1);
        _frames.RemoveFrom(loop + 1);
        int sumCount = _sumCount;
        var sums = sumCount > 0 ? _sums!.AsSpan(0, sumCount).ToArray() : null;
        int pcAt = _pc, copyDst = _copyDst, copySrc = _copySrc;
        _replaying = true;
        _root._fuelSynced = false;
        // The header's local.tee b left b's value on the stack (a local.set b nothing).
        if (rotated && _code[f.Pc + 2].Op == 0x22) PushDeferred(_localTypes[f.RotTo], OfLocal, f.RotTo);
        int block = 0;
        for (int pc = from; pc <= end; pc++)
        {
            ref readonly var ins = ref _code[pc];
            if (Materializes(ins.Op)) MaterializeAll();
            if (ins.Op == 0x02)
            {
                _frames.Add(f.DispatchBlocks![block++]);
                continue;
            }
            _pc = pc;
            EndBound(); // no facts: the value bounds of a merge
            Emit(in ins);
        }
        System.Diagnostics.Debug.Assert(_dead && block == f.DispatchBlocks!.Length && _stack.Count == f.Height);
        _replaying = false;
        _pc = pcAt;
        (_copyDst, _copySrc) = (copyDst, copySrc);
        // The known sums as before the copy, less the partial sums (L = R + a temporary): the copy may have written L
        // without that temporary, and the paths from it reach the next label too. Plain sums relate wasm locals only,
        // which the copy sets as the header does.
        _sumCount = 0;
        for (int i = 0; i < sumCount; i++)
            if (sums![i].Fold != KnownPartial) _sums![_sumCount++] = sums[i];
        _frames.RemoveFrom(loop + 1);
        _frames.AddRange(inner);
        return true;
    }
}
