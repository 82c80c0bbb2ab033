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
        public bool[] FactIn = [];
        // The body's write index and its working arrays (IndexWrites).
        public int[] WriteStart = [], WritePcs = [], Fill = [];
        public int[]? OpenLoops, WritesSeen, BrTables;
        public LoopScan[]? LoopScans;
        public readonly KnownSum[] Sums = new KnownSum[8];
        public readonly List<ValType> Stack = [];
        public readonly List<CFrame> Frames = [];
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
            Array.Clear(s.Facts);
            Array.Clear(s.LazyValue);
        }
        if (s.LazyKind.Length > MaxKeptPositions) (s.LazyKind, s.LazyFold, s.LazyAdd) = (new byte[16], new byte[16], new int[16]);
        else
        {
            Array.Clear(s.LazyKind);
            Array.Clear(s.LazyFold);
            Array.Clear(s.LazyAdd);
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

    private static void ClearLocals<T>(T[] a, int locals) => Array.Clear(a, 0, Math.Min(a.Length, locals));

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

    /// <summary>Hands an outgrown per-position array back to this compiler's set (GrowBounds).</summary>
    private void Keep()
    {
        var s = _scratch;
        (s.Facts, s.LazyValue) = (_facts, _lazyValue);
        (s.LazyKind, s.LazyFold, s.LazyAdd) = (_lazyKind, _lazyFold, _lazyAdd);
    }
}
