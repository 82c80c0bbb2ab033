using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// The working arrays of a compiler (per stack position, per local, the body's write index), reused by the
/// thread's next compiler at the same inlining level instead of allocated per function and per inlined copy.
/// </summary>
/// <remarks>
/// A thread compiles one method at a time, and within a method the compilers at one level never overlap: the
/// root (level 0) runs from its construction to the end of its body, and an inlined copy (level k + 1) runs
/// inside one call of its level-k caller (InlineSelf) and is dropped when it returns. So the set of level k is
/// taken by at most one live compiler. Each compiler takes its level's set at construction and hands back
/// every array it outgrows (<see cref="Keep"/>); what a fresh array would hold (zeros) it restores there: the
/// per-position arrays are cleared whole (the bounds and deferred kinds of positions never pushed are read as
/// zero-initialised), the per-local ones over the locals of this function (the longer tail is never indexed).
/// A compilation that throws leaves its sets dirty and the next construction clears them again; arrays past
/// <see cref="MaxKept"/> entries (<see cref="MaxKeptPositions"/> per position) are not kept, so one huge function does not make every later small one clear
/// (or keep) a huge array.
/// </remarks>
internal sealed partial class FunctionCompiler
{
    /// <summary>
    /// Longest per-local or per-instruction array a thread keeps for its next function: what a thread retains stays
    /// under ~200 KiB (a dozen arrays of at most 2048 eight-byte entries at level 0; inlined copies are small bodies).
    /// </summary>
    private const int MaxKept = 2048;

    /// <summary>Longest per-position array kept (these are cleared whole at every construction).</summary>
    private const int MaxKeptPositions = 256;

    [ThreadStatic] private static Scratch?[]? _scratchByLevel;

    /// <summary>One level's arrays: see the remarks of this file's class part.</summary>
    private sealed class Scratch
    {
        // Per stack position (FunctionCompiler.Bounds.cs, FunctionCompiler.Lazy.cs).
        public StackFact[] Facts = new StackFact[16];
        public long[] LazyValue = new long[16];
        public byte[] LazyKind = new byte[16], LazyFold = new byte[16];
        public int[] LazyAdd = new int[16];
        public readonly int[] SpanLocals = new int[MaxSpans];
        // Per local: facts, their list, alias chains, checked spans (FunctionCompiler.Bounds.cs, FunctionCompiler.Lazy.cs).
        public ulong[] LocalBound = [], Span = [];
        public long[] LocalLo = [], LocalHi = [];
        public int[] LocalGen = [], FactPrev = [], FactNext = [], AliasHead = [], SpanPc = [];
        // The alias chains' nodes (FunctionCompiler.Lazy.cs): written before read, never cleared.
        public int[] NodePos = [], NodeNext = [];
        public bool[] FactIn = [];
        // The body's write index and its working arrays (IndexWrites).
        public int[] WriteStart = [], WritePcs = [], Fill = [];
        public int[]? OpenLoops, BrTables;
        public LoopScan[]? LoopScans;
        public readonly KnownSum[] Sums = new KnownSum[8];
        public readonly ValStack Stack = new();
        public readonly FrameStack Frames = new();
        public readonly Induction[] Inductions = new Induction[MaxInductions];
    }

    // This compiler's set (the arrays above are its fields' initial values), and its level (0: the root).
    private readonly Scratch _scratch;
    private readonly int _scratchLevel;

    /// <summary>The thread's set for inlining level <paramref name="level"/>, cleared to what fresh arrays hold.</summary>
    private static Scratch TakeScratch(int level, int locals)
    {
        var byLevel = _scratchByLevel ??= new Scratch?[InlineSelfMaxLevels + 1];
        if (level >= byLevel.Length) Array.Resize(ref _scratchByLevel, level + 1); // not reached: copies stop at InlineSelfMaxLevels
        var s = _scratchByLevel![level] ??= new Scratch();
        // Per position: fresh arrays of 16, or these cleared whole (IsDeferred, Drop and EnsureBounds read their length).
        if (s.Facts.Length > MaxKeptPositions) (s.Facts, s.LazyValue) = (new StackFact[16], new long[16]);
        else
        {
            // Span clears: Array.Clear(Array) takes the element size and GC layout from the object, each call.
            s.Facts.AsSpan().Clear();
            s.LazyValue.AsSpan().Clear();
        }
        if (s.LazyKind.Length > MaxKeptPositions) (s.LazyKind, s.LazyFold, s.LazyAdd) = (new byte[16], new byte[16], new int[16]);
        else
        {
            s.LazyKind.AsSpan().Clear();
            s.LazyFold.AsSpan().Clear();
            s.LazyAdd.AsSpan().Clear();
        }
        // Per local: sized on first use (Ensure), cleared over this function's locals where zero means "none".
        s.Stack.Clear();
        s.Frames.Clear();
        ClearLocals(s.LocalGen, locals);
        ClearLocals(s.FactIn, locals);
        ClearLocals(s.AliasHead, locals);
        ClearLocals(s.Span, locals);
        return s;
    }

    private static void ClearLocals<T>(T[] a, int locals) => a.AsSpan(0, Math.Min(a.Length, locals)).Clear();

    /// <summary>
    /// <paramref name="kept"/> when it has room for <paramref name="length"/> entries (its first length entries as the
    /// caller left them: TakeScratch cleared the ones read as zero), else a fresh array, kept for the level's next
    /// compiler unless past <see cref="MaxKept"/>.
    /// </summary>
    private static T[] Ensure<T>(ref T[] kept, int length)
    {
        if (kept.Length >= length) return kept;
        var a = new T[length];
        if (length <= MaxKept) kept = a;
        return a;
    }

    /// <summary>
    /// The operand stack's types: a <c>List&lt;ValType&gt;</c> with only what the compiler uses. Our own class, so
    /// ReadyToRun inlines its members into the emit path (List's, from another version bubble, stay calls: its
    /// <c>Count</c>, indexer and <c>Add</c> ran one to three times per instruction, and <c>AddRange</c> of an array
    /// took an interface cast and a copy per block end).
    /// </summary>
    private sealed class ValStack
    {
        private ValType[] _items = new ValType[16];
        private int _count;

        public int Count => _count;

        public ValType this[int i]
        {
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            get
            {
                if ((uint)i >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(i));
                return _items[i];
            }
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Add(ValType t)
        {
            var items = _items;
            int n = _count;
            if ((uint)n < (uint)items.Length)
            {
                items[n] = t;
                _count = n + 1;
            }
            else AddGrown(t);
        }

        private void AddGrown(ValType t)
        {
            Array.Resize(ref _items, _items.Length * 2);
            _items[_count++] = t;
        }

        public void AddRange(ValType[] types)
        {
            foreach (var t in types) Add(t);
        }

        /// <summary>Removes <paramref name="n"/> entries from <paramref name="from"/> (the ones above move down).</summary>
        public void RemoveRange(int from, int n)
        {
            if (from < 0 || n < 0 || from + n > _count) throw new ArgumentOutOfRangeException(nameof(n));
            Array.Copy(_items, from + n, _items, from, _count - from - n);
            _count -= n;
        }

        /// <summary>Drops the entries from <paramref name="count"/> up.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void SetCount(int count)
        {
            if ((uint)count > (uint)_count) throw new ArgumentOutOfRangeException(nameof(count));
            _count = count;
        }

        public void Clear() => _count = 0;
    }

    /// <summary>The open blocks, innermost last: as <see cref="ValStack"/>, a list whose members ReadyToRun inlines.</summary>
    private sealed class FrameStack
    {
        private CFrame[] _items = new CFrame[8];
        private int _count;

        public int Count => _count;

        public CFrame this[int i]
        {
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            get
            {
                if ((uint)i >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(i));
                return _items[i];
            }
        }

        public void Add(CFrame f)
        {
            if (_count == _items.Length) Array.Resize(ref _items, _count * 2);
            _items[_count++] = f;
        }

        public void AddRange(CFrame[] frames)
        {
            foreach (var f in frames) Add(f);
        }

        /// <summary>Removes the innermost frame.</summary>
        public void Pop()
        {
            if (_count == 0) throw new InvalidOperationException("no open block");
            _items[--_count] = null!;
        }

        /// <summary>The frames from <paramref name="from"/> up, innermost last.</summary>
        public CFrame[] From(int from) => _items.AsSpan(from, _count - from).ToArray();

        /// <summary>Removes the frames from <paramref name="from"/> up.</summary>
        public void RemoveFrom(int from)
        {
            if ((uint)from > (uint)_count) throw new ArgumentOutOfRangeException(nameof(from));
            Array.Clear(_items, from, _count - from);
            _count = from;
        }

        public int IndexOf(CFrame f) => Array.IndexOf(_items, f, 0, _count);

        public void Clear() => RemoveFrom(0);
    }

    /// <summary>Hands an outgrown per-position array back to this compiler's set (GrowBounds).</summary>
    private void Keep()
    {
        var s = _scratch;
        (s.Facts, s.LazyValue) = (_facts, _lazyValue);
        (s.LazyKind, s.LazyFold, s.LazyAdd) = (_lazyKind, _lazyFold, _lazyAdd);
    }
}
