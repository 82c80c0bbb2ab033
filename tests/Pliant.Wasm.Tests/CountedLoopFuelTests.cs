using Pliant.Wasm.Compilation;
using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Counting loops charged once at entry (Compilation/CountedLoops.cs): each loop shape and trip-count edge runs at
/// every fuel budget from 0 to past its total (a dense sample for long or endless loops) in the versioned code and in
/// the same module compiled with versioning off (<see cref="CountedLoop.Disabled"/>); result, trap or not, the
/// iterations run (a global counter) and the fuel left must agree, and the result must match unmetered code. Loops
/// that must not be versioned are checked not to be, and to behave the same.
/// </summary>
public class CountedLoopFuelTests
{
    public enum Kind { Bare, Ne, LtU, LtS }

    /// <summary>One loop: counter type, exit test, step, start, bound (constant or the second parameter).</summary>
    public sealed record Case(bool Wide, Kind Test, long Step, long Start, long Bound, bool BoundLocal = false)
    {
        public override string ToString() =>
            $"{(Wide ? "i64" : "i32")} {Test} step {Step} from {Start} to {Bound}{(BoundLocal ? " (local)" : "")}";
    }

    private static byte[] Const(bool wide, long v) => wide ? [0x42, .. S64(v)] : [0x41, .. S32((int)v)];

    /// <summary><c>global.get 0; i32.const 1; i32.add; global.set 0</c>: counts iterations.</summary>
    private static readonly byte[] Count = [0x23, 0x00, 0x41, 0x01, 0x6A, 0x24, 0x00];

    /// <summary>The loop's tail: step the counter (local 0) and test it against the bound (local 1 or a constant).</summary>
    private static byte[] Tail(Case c) =>
    [
        0x20, 0x00, .. Const(c.Wide, c.Step), c.Wide ? (byte)0x7C : (byte)0x6A, 0x22, 0x00,
        .. c.Test == Kind.Bare ? [] : c.BoundLocal ? new byte[] { 0x20, 0x01 } : Const(c.Wide, c.Bound),
        .. c.Test switch { Kind.Bare => [], Kind.Ne => [c.Wide ? (byte)0x52 : (byte)0x47], Kind.LtU => [c.Wide ? (byte)0x54 : (byte)0x49], _ => new[] { c.Wide ? (byte)0x53 : (byte)0x48 } },
        0x0D, 0x00,
    ];

    /// <summary>acc (local 2, i64) = acc * 31 + i.</summary>
    private static byte[] Work(bool wide) => [0x20, 0x02, 0x42, 0x1F, 0x7E, 0x20, 0x00, .. wide ? [] : new byte[] { 0xAD }, 0x7C, 0x21, 0x02];

    /// <summary>
    /// (param i0 n) (result i64) (local acc i64): acc = 7; loop { counter++; work; [extra]; tail } ; acc ^ (i &lt;&lt; 32).
    /// </summary>
    private static byte[] Body(Case c, byte[] extra, bool inBlock = false) =>
    [
        0x42, 0x07, 0x21, 0x02,
        .. inBlock ? new byte[] { 0x02, 0x40 } : [],
        0x03, 0x40, .. Count, .. Work(c.Wide), .. extra, .. Tail(c), 0x0B,
        .. inBlock ? new byte[] { 0x0B } : [],
        0x20, 0x02, 0x20, 0x00, .. c.Wide ? [] : new byte[] { 0xAD }, 0x42, 0x20, 0x86, 0x85,
    ];

    /// <summary>Compiles <paramref name="body"/> as export "f" (and an empty function 1 for calls), versioned or not, metered or not.</summary>
    private static (Instance Inst, int Versioned) Build(bool wide, byte[] body, bool version, bool meter = true)
    {
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        byte t = wide ? I64 : I32;
        uint ft = b.Type([t, t], [I64]);
        b.Func(ft, body, [I64, I32, I32], export: "f");
        b.Func(b.Type([], []), []);
        int before = CountedLoop.Versioned;
        CountedLoop.Disabled = !version;
        try
        {
            var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MeterFuel = meter }).Instantiate();
            return (inst, CountedLoop.Versioned - before);
        }
        finally
        {
            CountedLoop.Disabled = false;
        }
    }

    /// <summary>Runs "f" with <paramref name="fuel"/> (null: unmetered): result (null on a fuel trap), iterations, fuel left.</summary>
    private static (long? Result, int Count, long Left) Run(Instance inst, Case c, long? fuel)
    {
        inst.GetGlobal("counter").Value = WasmValue.FromI32(0);
        if (fuel is long f) inst.Fuel = f;
        WasmValue[] args = c.Wide
            ? [WasmValue.FromI64(c.Start), WasmValue.FromI64(c.Bound)]
            : [WasmValue.FromI32((int)c.Start), WasmValue.FromI32((int)c.Bound)];
        long? result = null;
        try
        {
            result = inst.Invoke("f", args)[0].I64;
        }
        catch (WasmTrapException e)
        {
            Assert.Equal("fuel exhausted", e.Message);
        }
        return (result, inst.GetGlobal("counter").Value.I32, fuel == null ? 0 : inst.Fuel);
    }

    /// <summary>
    /// Versioned and plain code agree at every budget in [0, total + 3] (total: the fuel a run to the end uses; for a
    /// loop that does not end within <see cref="Plenty"/>, a sample up to it); returns total, or -1.
    /// </summary>
    private static long Compare(Case c, byte[] body, bool expectVersioned)
    {
        var (versioned, n) = Build(c.Wide, body, version: true);
        var (plain, m) = Build(c.Wide, body, version: false);
        Assert.True(n == (expectVersioned ? 1 : 0), $"{c}: {n} loops versioned");
        Assert.Equal(0, m);
        var full = Run(plain, c, Plenty);
        long total = full.Result == null ? -1 : Plenty - full.Left;
        if (full.Result != null)
        {
            var (free, _) = Build(c.Wide, body, version: true, meter: false);
            Assert.True(full.Result == Run(free, c, null).Result, $"{c}: metered and unmetered results differ");
            // A budget far beyond any count: an overestimated count would be charged, not just fall back to metering.
            Assert.Equal(Run(plain, c, long.MaxValue / 2), Run(versioned, c, long.MaxValue / 2));
        }
        long last = total < 0 ? Plenty : total + 3;
        for (long fuel = 0; fuel <= last; fuel += fuel < 4000 || total >= 0 && Math.Abs(fuel - total) < 100 ? 1 : 997)
        {
            var want = Run(plain, c, fuel);
            var got = Run(versioned, c, fuel);
            if (want != got) Assert.Fail($"{c} at fuel {fuel}: versioned {got}, plain {want}");
        }
        return total;
    }

    private const long Plenty = 200_000;

    public static TheoryData<Case> Recognised() =>
    [
        // exit when i reaches 0 (clang: i counts up from -n·s, or down from n)
        new(false, Kind.Bare, 1, -5, 0), new(false, Kind.Bare, -1, 5, 0), new(false, Kind.Bare, 8, -80, 0), new(false, Kind.Bare, -4, 40, 0),
        new(false, Kind.Bare, 3, -9, 0), new(false, Kind.Bare, -1, 1, 0),
        new(false, Kind.Bare, 8, -3, 0),                    // steps over 0: never ends (runs as far as the fuel goes)
        new(false, Kind.Bare, 0x40000000, 1, 0),            // never ends, period 4: the fuel covers many periods
        new(false, Kind.Bare, int.MinValue, 1, 0),           // period 2
        new(true, Kind.Ne, 1L << 62, 1, 0, true),            // i64, period 4
        new(true, Kind.Ne, 1L << 62, 4, 0, true),            // i64, period 4, never meets n
        new(false, Kind.Bare, 2, 5, 0),                     // likewise, odd distance
        new(false, Kind.Bare, 1, 0, 0),                     // i == n at entry: 2^32 iterations
        new(false, Kind.Bare, -1, 0, 0),                    // 2^32 down
        new(false, Kind.Bare, 0x01000000, 0, 0),            // i == n, step 2^24: wraps after 256
        new(false, Kind.Bare, 0x01000000, 0x05000000, 0),   // 256 - 5
        new(false, Kind.Bare, unchecked((int)0x9E3779B1), unchecked((int)(0u - 0x9E3779B1u * 7u)), 0), // odd step, wraps to 0 after 7
        new(false, Kind.Bare, unchecked((int)0x9E3779B1), 0, 0), // odd step from 0: 2^32
        // i != n
        new(false, Kind.Ne, 1, 0, 10), new(false, Kind.Ne, 1, 0, 10, true), new(false, Kind.Ne, 4, 0, 40), new(false, Kind.Ne, 4, 0, 40, true),
        new(false, Kind.Ne, -3, 30, 0, true), new(false, Kind.Ne, 1, int.MaxValue - 3, int.MinValue + 2, true),
        new(false, Kind.Ne, 2, 0, 9, true),                 // steps over n
        new(false, Kind.Ne, 1, 10, 10, true),               // i == n at entry: 2^32
        new(false, Kind.Ne, 16, 7, 7),                      // 2^28
        new(false, Kind.Ne, 1 << 28, 3, 3, true),           // 16
        new(false, Kind.Ne, 6, 0, 60, true), new(false, Kind.Ne, 6, 0, 62, true),
        new(false, Kind.Ne, unchecked((int)0xC0000002), 0, unchecked((int)(0xC0000002u * 5u)), true), // step 2 · odd: wraps, 5
        // i <u n
        new(false, Kind.LtU, 1, 0, 10), new(false, Kind.LtU, 4, 0, 10), new(false, Kind.LtU, 4, 0, 12),
        new(false, Kind.LtU, 1, 10, 10), new(false, Kind.LtU, 1, 20, 10), new(false, Kind.LtU, 7, 0, 1),
        new(false, Kind.LtU, 5, 0x7FFFFFF0, unchecked((int)0x80000010)),
        new(false, Kind.LtU, 3, unchecked((int)0xFFFFFFF0), unchecked((int)0xFFFFFFFC)), // at the limit: versioned
        new(false, Kind.LtU, 3, unchecked((int)0xFFFFFFF0), unchecked((int)0xFFFFFFFE)), // n past the limit: not versioned (i wraps, runs ~2^32)
        new(false, Kind.LtU, 16, unchecked((int)0xFFFFFFF8), 5),   // i0 >= n but the first step wraps: once
        new(false, Kind.LtU, 16, unchecked((int)0xFFFFFFF8), 100), // wraps to 8, then 6 more
        new(false, Kind.LtU, 1, 0, -1),               // n = 2^32 - 1: not versioned, huge
        new(false, Kind.LtU, 16, -4, 65532),                // memcopy: the first step wraps to 12, then 4095 more
        new(false, Kind.LtU, 16, -4, 12), new(false, Kind.LtU, 16, -4, 13), new(false, Kind.LtU, 16, -1, 0),
        new(false, Kind.LtU, 1, -1, 0),                // i1 = 0 = n: once
        new(false, Kind.LtS, 1, int.MaxValue, int.MinValue + 3), // the first step wraps to int.MinValue: 4
        new(false, Kind.LtS, 2, int.MaxValue, 0),      // wraps, then ~2^30 to 0
        // i <s n
        new(false, Kind.LtS, 1, -5, 5), new(false, Kind.LtS, 3, -10, 10), new(false, Kind.LtS, 1, 5, -5),
        new(false, Kind.LtS, 1, int.MinValue, int.MinValue + 5), new(false, Kind.LtS, 2, int.MaxValue - 3, int.MaxValue),
        new(false, Kind.LtS, 2, int.MaxValue - 4, int.MaxValue - 2), new(false, Kind.LtS, 1, int.MaxValue, 0),
        // i64
        new(true, Kind.Ne, 1, 0, 10), new(true, Kind.Ne, 1, 0, 10, true), new(true, Kind.Ne, -1, 10, 0, true), new(true, Kind.Ne, 2, 0, 9, true),
        new(true, Kind.Ne, 1L << 60, 0, 0, true), new(true, Kind.Ne, 1, 5, 5, true), new(true, Kind.Ne, 1, long.MaxValue - 2, long.MinValue + 3, true),
        new(true, Kind.Ne, unchecked((long)0x9E3779B97F4A7C15), 0, unchecked((long)(0x9E3779B97F4A7C15ul * 9ul)), true),
        new(true, Kind.LtU, 1, 0, 10), new(true, Kind.LtU, 8, -20, -2), new(true, Kind.LtU, 8, -30, -8), new(true, Kind.LtU, 3, 9, 2),
        new(true, Kind.LtS, 1, -5, 5), new(true, Kind.LtS, 3, long.MinValue, long.MinValue + 10), new(true, Kind.LtS, 1, long.MaxValue - 1, long.MaxValue),
        new(true, Kind.LtS, 4, 100, -100), new(true, Kind.LtU, 8, -4, 100), new(true, Kind.LtS, 1, long.MaxValue, long.MinValue + 2),
        new(true, Kind.LtU, 5, 0, -5),                // n past the limit: not versioned, ~2^64 / 5
    ];

    [Theory]
    [MemberData(nameof(Recognised))]
    public void VersionedLoopMatchesTheMeteredLoopAtEveryBudget(Case c)
    {
        Compare(c, Body(c, []), expectVersioned: Versionable(c));
    }

    /// <summary>An lt loop is versioned only with a constant bound at most max - step (no step after the first wraps).</summary>
    private static bool Versionable(Case c) =>
        c.Test is Kind.Bare or Kind.Ne || !c.BoundLocal && (c.Wide, c.Test == Kind.LtS) switch
        {
            (true, true) => c.Bound <= long.MaxValue - c.Step,
            (false, true) => c.Bound <= int.MaxValue - c.Step,
            (true, false) => (ulong)c.Bound <= ulong.MaxValue - (ulong)c.Step,
            _ => (uint)c.Bound <= uint.MaxValue - c.Step,
        };

    /// <summary>lt loops with a local bound are not versioned (the count is exact only below a limit known at compile time) and run the same.</summary>
    [Theory]
    [InlineData(false, false, 1, 0, 10)]
    [InlineData(false, true, 3, -10, 10)]
    [InlineData(true, false, 8, -4, 100)]
    public void LtLoopsWithALocalBoundAreNotVersioned(bool wide, bool signed, long step, long start, long bound)
    {
        var c = new Case(wide, signed ? Kind.LtS : Kind.LtU, step, start, bound, true);
        Compare(c, Body(c, []), expectVersioned: false);
    }

    [Fact]
    public void ARunThatFitsIsChargedOnceWithTheMeteredTotal()
    {
        // 1000 iterations of an 18-instruction body: total = the prologue and epilogue + 1000 × 18.
        var c = new Case(false, Kind.Ne, 1, 0, 1000, true);
        long total = Compare(c, Body(c, []), expectVersioned: true);
        Assert.InRange(total, 1000 * 18, 1000 * 18 + 40);
    }

    /// <summary>A nest as in the bits kernel: an outer loop (not versioned: not straight-line) enters the inner one three times.</summary>
    [Theory]
    [InlineData(0, 10)]
    [InlineData(5, 5)]
    [InlineData(-3, 40)]
    public void ALoopEnteredRepeatedlyMatchesAtEveryBudget(int start, int bound)
    {
        var c = new Case(false, Kind.Ne, 1, start, bound, true);
        // local 3 = the inner counter's start, local 4 = outer count; the inner loop runs from local 0 each time.
        byte[] body =
        [
            0x20, 0x00, 0x21, 0x03,
            0x03, 0x40,
            0x20, 0x03, 0x21, 0x00,
            .. Body(c, []).AsSpan(4, Body(c, []).Length - 4 - 9).ToArray(), // the loop alone
            0x20, 0x04, 0x41, 0x01, 0x6A, 0x22, 0x04, 0x41, 0x03, 0x47, 0x0D, 0x00,
            0x0B,
            0x20, 0x02, 0x20, 0x00, 0xAD, 0x42, 0x20, 0x86, 0x85,
        ];
        Compare(c, body, expectVersioned: true);
    }

    public static TheoryData<string> NotVersioned() => ["writes n", "writes i twice", "calls", "side exit", "inner block", "too long", "one past the longest",
        "exits by br_if 1", "local.set then get", "tests a copy of i"];

    /// <summary>Nops filling the loop's body (between <c>loop</c> and <c>end</c>) to <paramref name="length"/> instructions with Count, Work and the tail.</summary>
    private static byte[] Filler(int length) => Enumerable.Repeat((byte)0x01, length - 18).ToArray();

    [Fact]
    public void TheLongestBodyIsChargedAtEntry()
    {
        var c = new Case(false, Kind.Ne, 1, 0, 12, true);
        Compare(c, Body(c, Filler(CountedLoop.MaxBody)), expectVersioned: true);
    }

    [Theory]
    [MemberData(nameof(NotVersioned))]
    public void LoopsThatMustNotBeVersionedBehaveTheSame(string shape)
    {
        var c = new Case(false, Kind.Ne, 1, 0, 12, true);
        byte[] body = shape switch
        {
            "writes n" => Body(c, [0x20, 0x01, 0x41, 0x00, 0x6A, 0x21, 0x01]),
            "writes i twice" => Body(c, [0x20, 0x00, 0x21, 0x00]),
            "calls" => Body(c, [0x10, 0x01]),
            "side exit" => Body(c, [0x20, 0x00, 0x41, 0x07, 0x46, 0x0D, 0x01], inBlock: true),
            "inner block" => Body(c, [0x02, 0x40, 0x20, 0x00, 0x41, 0x01, 0x71, 0x0D, 0x00, .. Count, 0x0B]),
            "too long" => Body(c, [.. Enumerable.Repeat(new byte[] { 0x41, 0x01, 0x1A }, 130).SelectMany(x => x)]),
            "one past the longest" => Body(c, Filler(CountedLoop.MaxBody + 1)),
            // the tail's branch leaves the enclosing block: the loop runs once
            "exits by br_if 1" =>
            [
                0x42, 0x07, 0x21, 0x02, 0x02, 0x40, 0x03, 0x40, .. Count, .. Work(false), .. Tail(c)[..^1], 0x01, 0x0B, 0x0B,
                0x20, 0x02, 0x20, 0x00, 0xAD, 0x42, 0x20, 0x86, 0x85,
            ],
            // local.set i; local.get i instead of the tee
            "local.set then get" =>
            [
                0x42, 0x07, 0x21, 0x02, 0x03, 0x40, .. Count, .. Work(false),
                0x20, 0x00, 0x41, 0x01, 0x6A, 0x21, 0x00, 0x20, 0x00, 0x20, 0x01, 0x47, 0x0D, 0x00, 0x0B,
                0x20, 0x02, 0x20, 0x00, 0xAD, 0x42, 0x20, 0x86, 0x85,
            ],
            // the test compares a different local than the one stepped
            _ =>
            [
                0x42, 0x07, 0x21, 0x02, 0x03, 0x40, .. Count, .. Work(false),
                0x20, 0x00, 0x41, 0x01, 0x6A, 0x22, 0x00, 0x21, 0x03, 0x20, 0x03, 0x20, 0x01, 0x47, 0x0D, 0x00, 0x0B,
                0x20, 0x02, 0x20, 0x00, 0xAD, 0x42, 0x20, 0x86, 0x85,
            ],
        };
        Compare(c, body, expectVersioned: false);
    }

    /// <summary>
    /// Hostile: a body of 4000 loops charged at entry in a row (each emitted once plus its entry, a few dozen IL
    /// instructions; three extra locals for the whole function) compiles and counts exactly.
    /// </summary>
    [Fact]
    public void ManyVersionedLoopsInOneBodyCompileAndCountExactly()
    {
        const int Loops = 4000;
        var c = new Case(false, Kind.LtU, 1, 0, 3);
        // i = 0; loop { counter++; i += 1; br_if i <u n } — 4000 times, 3 iterations each.
        byte[] one = [0x41, 0x00, 0x21, 0x00, 0x03, 0x40, .. Count, .. Tail(c), 0x0B];
        byte[] body = [.. Enumerable.Repeat(one, Loops).SelectMany(x => x), 0x42, 0x00];
        var (versioned, n) = Build(false, body, version: true);
        var (plain, _) = Build(false, body, version: false);
        Assert.Equal(Loops, n);
        var want = Run(plain, c, 1_000_000);
        Assert.Equal(Loops * 3, want.Count);
        Assert.Equal(want, Run(versioned, c, 1_000_000));
        Assert.Equal(Run(plain, c, 50_000), Run(versioned, c, 50_000)); // runs out part way
    }

    /// <summary>A fault inside a loop charged at entry (an out-of-bounds load at the fifth iteration) traps the same, with the same message.</summary>
    [Fact]
    public void AFaultInsideALoopChargedAtEntryTrapsTheSame()
    {
        var c = new Case(false, Kind.LtU, 1, 0, 100);
        // a load at 65532 + (i >> 2) * 4 in a one-page memory: out of bounds from i = 4 on.
        byte[] extra = [0x20, 0x00, 0x41, 0x02, 0x76, 0x41, 0x02, 0x74, 0x28, 0x02, 0xFC, 0xFF, 0x03, 0x1A];
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        uint ft = b.Type([I32, I32], [I64]);
        b.Func(ft, Body(c, extra), [I64, I32, I32], export: "f");
        b.Memory(1);
        int before = CountedLoop.Versioned;
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal(1, CountedLoop.Versioned - before);
        foreach (long fuel in new long[] { 10, 100, 1000, 100_000 })
        {
            inst.Fuel = fuel;
            inst.GetGlobal("counter").Value = WasmValue.FromI32(0);
            var e = Assert.Throws<WasmTrapException>(() => inst.Invoke("f", [WasmValue.FromI32(0), WasmValue.FromI32(100)]));
            Assert.Equal(fuel <= 100 ? "fuel exhausted" : "out of bounds memory access", e.Message);
        }
    }

    /// <summary>
    /// A fact about an address local from before a loop charged at entry (local 3 = 0, a load at it needs no check) must
    /// not survive the body's write of it (local 3 = i + 65536), whether the fuel covers the run or not, so the load
    /// after the loop is checked and traps out of bounds in a one-page memory, at every budget as in the plain
    /// compilation (constant bounds of each test kind).
    /// </summary>
    [Theory]
    [InlineData(Kind.Bare, 1, -5, 0)]
    [InlineData(Kind.Ne, 1, 0, 9)]
    [InlineData(Kind.LtU, 2, 0, 9)]
    public void FactsHoldOnBothCopiesOfAConstantBoundLoop(Kind test, long step, long start, long bound)
    {
        var c = new Case(false, test, step, start, bound);
        // local 3 = 0; loop { counter++; work; local 3 = i + 65536; tail }; i32.load (local 3); drop; acc
        byte[] extra = [0x20, 0x00, 0x41, .. S32(65536), 0x6A, 0x21, 0x03];
        byte[] loop = Body(c, extra);
        byte[] body = [0x41, 0x00, 0x21, 0x03, 0x20, 0x03, 0x28, 0x02, 0x00, 0x1A, .. loop[..^9], 0x20, 0x03, 0x28, 0x02, 0x00, 0x1A, .. loop[^9..]];
        (Instance Inst, int Versioned) Make(bool version)
        {
            var b = new ModuleBuilder();
            b.GlobalI32("counter");
            b.Func(b.Type([I32, I32], [I64]), body, [I64, I32, I32], export: "f");
            b.Memory(1);
            int before = CountedLoop.Versioned;
            CountedLoop.Disabled = !version;
            try
            {
                var inst = CompiledModule.Compile(b.Build()).Instantiate();
                return (inst, CountedLoop.Versioned - before);
            }
            finally
            {
                CountedLoop.Disabled = false;
            }
        }
        (string What, int Count, long Left) Outcome(Instance inst, long fuel)
        {
            inst.Fuel = fuel;
            inst.GetGlobal("counter").Value = WasmValue.FromI32(0);
            try
            {
                return (inst.Invoke("f", [WasmValue.FromI32((int)start), WasmValue.FromI32((int)bound)])[0].I64.ToString(), inst.GetGlobal("counter").Value.I32, inst.Fuel);
            }
            catch (WasmTrapException e)
            {
                return (e.Message, inst.GetGlobal("counter").Value.I32, e.Message == "fuel exhausted" ? inst.Fuel : 0);
            }
        }
        var (versioned, n) = Make(true);
        var (plain, _) = Make(false);
        Assert.Equal(1, n);
        Assert.Equal("out of bounds memory access", Outcome(plain, Plenty).What);
        for (long fuel = 0; fuel <= 400; fuel++)
        {
            var want = Outcome(plain, fuel);
            var got = Outcome(versioned, fuel);
            if (want != got) Assert.Fail($"{c} at fuel {fuel}: versioned {got}, plain {want}");
        }
    }

    /// <summary>The bench kernels (both builds), at budgets around each run's total: versioned and plain agree.</summary>
    [Theory]
    [InlineData("workloads.wasm")]
    [InlineData("workloads-simd.wasm")]
    public void KernelsAgreeWithTheirPlainCompilation(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Pliant.slnx"))) dir = dir.Parent;
        var bytes = File.ReadAllBytes(Path.Combine(dir!.FullName, "bench", "wasm", "vsnode", file));
        var imports = new Imports().Function("env", "host_empty", () => { });
        CountedLoop.Disabled = true;
        CompiledModule plainModule;
        try { plainModule = CompiledModule.Compile(bytes); }
        finally { CountedLoop.Disabled = false; }
        int before = CountedLoop.Versioned;
        var versionedModule = CompiledModule.Compile(bytes);
        Assert.True(CountedLoop.Versioned - before >= 5, $"{CountedLoop.Versioned - before} loops versioned");
        foreach (var (kernel, n) in new[] { ("float_math", 2), ("int_math", 3000), ("bits", 1), ("conversions", 1), ("memcopy", 1), ("checksum", 1) })
        {
            var plain = plainModule.Instantiate(imports);
            var versioned = versionedModule.Instantiate(imports);
            plain.Fuel = versioned.Fuel = long.MaxValue / 2;
            int want = plain.GetFunction<Func<int, int>>(kernel)(n);
            Assert.Equal(want, versioned.GetFunction<Func<int, int>>(kernel)(n));
            long used = long.MaxValue / 2 - plain.Fuel;
            Assert.Equal(plain.Fuel, versioned.Fuel);
            var rng = new Random(kernel.Length * 7919);
            foreach (long fuel in new[] { 0, used - 1, used, used + 1, used / 2, used / 3 + 1 }.Concat(Enumerable.Range(0, 12).Select(_ => rng.NextInt64(used))))
            {
                Assert.Equal(Outcome(plain, kernel, n, fuel), Outcome(versioned, kernel, n, fuel));
            }
        }
    }

    private static (int? Result, long Left) Outcome(Instance inst, string kernel, int n, long fuel)
    {
        inst.Fuel = fuel;
        try
        {
            return (inst.GetFunction<Func<int, int>>(kernel)(n), inst.Fuel);
        }
        catch (WasmTrapException e)
        {
            Assert.Equal("fuel exhausted", e.Message);
            return (null, inst.Fuel);
        }
    }
}
