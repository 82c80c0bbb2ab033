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
    private const byte Eager = 0, OfLocal = 1, OfI32 = 2, OfI64 = 3;
    // Per stack position (this compiler's own, not counting _slotBase): where a deferred value is. Positions
    // at or above _stack.Count are always Eager (Drop clears them).
    private byte[] _lazyKind = new byte[16];
    private long[] _lazyValue = new long[16];
    // Compile time stays linear in the body whatever the module: MaterializeAll scans only from the lowest
    // position deferred since it last ran, and a local write scans only the positions once pushed as that
    // local's alias (entries may be stale: each is checked, and the list is emptied by the scan).
    private int _deferredFloor = int.MaxValue;
    private List<int>?[]? _aliasesOf;

    /// <summary>Instructions that may read or write stack slots directly, or branch or merge: every deferred entry is materialised first.</summary>
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

    private void Defer(int pos, byte kind, long value)
    {
        EnsureLazy(pos);
        _lazyKind[pos] = kind;
        _lazyValue[pos] = value;
        _deferredFloor = Math.Min(_deferredFloor, pos);
        if (kind != OfLocal) return;
        _aliasesOf ??= new List<int>?[_localTypes.Length];
        (_aliasesOf[value] ??= []).Add(pos);
    }

    private void EnsureLazy(int pos)
    {
        if (pos < _lazyKind.Length) return;
        int n = Math.Max(_lazyKind.Length * 2, pos + 1);
        Array.Resize(ref _lazyKind, n);
        Array.Resize(ref _lazyValue, n);
    }

    private bool IsDeferred(int pos) => pos < _lazyKind.Length && _lazyKind[pos] != Eager;

    /// <summary>Removes the top <paramref name="n"/> entries, from position <paramref name="from"/>.</summary>
    private void Drop(int from, int n)
    {
        for (int i = from; i < from + n && i < _lazyKind.Length; i++) _lazyKind[i] = Eager;
        _stack.RemoveRange(from, n);
    }

    /// <summary>Pushes the value of stack entry <paramref name="pos"/> onto the IL stack, from wherever it is.</summary>
    private void LdSlot(int pos)
    {
        if (!IsDeferred(pos))
        {
            _il.Emit(OpCodes.Ldloc, Slot(pos, _stack[pos]));
            return;
        }
        switch (_lazyKind[pos])
        {
            case OfLocal: LdLocal((int)_lazyValue[pos]); break;
            case OfI32: _il.Emit(OpCodes.Ldc_I4, (int)_lazyValue[pos]); break;
            default: _il.Emit(OpCodes.Ldc_I8, _lazyValue[pos]); break;
        }
    }

    /// <summary>Stores deferred entry <paramref name="pos"/> into its slot.</summary>
    private void Materialize(int pos)
    {
        if (!IsDeferred(pos)) return;
        LdSlot(pos);
        _lazyKind[pos] = Eager;
        _il.Emit(OpCodes.Stloc, Slot(pos, _stack[pos]));
    }

    private void MaterializeAll()
    {
        for (int i = _deferredFloor; i < _stack.Count; i++) Materialize(i);
        _deferredFloor = int.MaxValue;
    }

    /// <summary>Before local <paramref name="local"/> is written: entries below <paramref name="below"/> that still read it get its current value.</summary>
    private void MaterializeLocal(int local, int below)
    {
        if (_aliasesOf?[local] is not { Count: > 0 } at) return;
        bool keepTop = false;
        foreach (int i in at)
        {
            if (i >= _stack.Count || !IsDeferred(i) || _lazyKind[i] != OfLocal || _lazyValue[i] != local) continue;
            if (i < below) Materialize(i);
            else keepTop = true;
        }
        at.Clear();
        if (keepTop) at.Add(below);
    }

    /// <summary><c>local.tee</c>: the top entry's value goes to the local, and the entry then reads that local.</summary>
    private void TeeLocal(int local)
    {
        int top = _stack.Count - 1;
        MaterializeLocal(local, top);
        if (IsDeferred(top) && _lazyKind[top] == OfLocal && _lazyValue[top] == local) return; // local.get x; local.tee x
        LdSlot(top);
        StLocal(local);
        if (IsDeferred(top) && _lazyKind[top] != OfLocal) return; // a constant stays a constant
        Defer(top, OfLocal, local);
    }
}
