using Pliant.Wasm.Compilation;
using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Vectorised counting loops (Compilation/Vectorize.cs) against the same module compiled with the vectoriser off
/// (<see cref="VectorLoop.Disabled"/>; the counting loop itself still charged at entry): clang-shaped bodies of u
/// unrolled copies over f32, f64, i32 and i64 elements, on seeded random memory full of NaNs (quiet and signalling,
/// with payloads), infinities, denormals and −0, with the two arrays at every distance from −64 to 64 bytes, every
/// trip count from 1 to 3·VF + 1, arrays cut by the memory's end and addresses that wrap, and every fuel budget
/// around a run. Result (the counter and an address temporary after the loop, and the last loaded value stored after
/// it), trap message, fuel left and the whole memory must agree — bit for bit, except that where both builds produce a
/// NaN from two NaN operands of one commutative operation either operand's NaN may come out (the JIT orders such
/// operands freely in scalar and vector code alike; WebAssembly 2.0 §4.3.3 allows either). v128 bodies (f32x4
/// operations, constants with four different lanes) run two v128 lanes per Vector256.
/// </summary>
public class VectorLoopTests
{
    /// <summary>Element types; V128 is a v128 of four f32 lanes (pairs of them fill a <c>Vector256</c>).</summary>
    public enum Elem { F32, F64, I32, I64, V128 }

    public enum Body { Axpy, Relax, Ops, Int }

    private const long Plenty = 1_000_000;

    private static int Size(Elem e) => e switch { Elem.F64 or Elem.I64 => 8, Elem.V128 => 16, _ => 4 };

    /// <summary>Bytes per vector: 16, or 32 over v128 elements.</summary>
    private static int VectorBytes(Elem e) => e == Elem.V128 ? 32 : 16;

    /// <summary>How the element's values compare (a v128's lanes as f32).</summary>
    private static Elem Lane(Elem e) => e == Elem.V128 ? Elem.F32 : e;

    private static byte T(Elem e) => e switch { Elem.F32 => F32, Elem.F64 => F64, Elem.I32 => I32, Elem.I64 => I64, _ => V128 };

    private static byte[] Load(Elem e) => e switch { Elem.F32 => [0x2A], Elem.F64 => [0x2B], Elem.I32 => [0x28], Elem.I64 => [0x29], _ => SimdInstr(0x00) };

    private static byte[] Store(Elem e) => e switch { Elem.F32 => [0x38], Elem.F64 => [0x39], Elem.I32 => [0x36], Elem.I64 => [0x37], _ => SimdInstr(0x0B) };

    private static byte[] Mem(byte[] op, Elem e, uint offset) => [.. op, (byte)System.Numerics.BitOperations.Log2((uint)Size(e)), .. U32(offset)];

    private static byte[] Num(Elem e, double v) => e switch
    {
        Elem.F32 => [0x43, .. BitConverter.GetBytes((float)v)],
        Elem.F64 => [0x44, .. BitConverter.GetBytes(v)],
        Elem.I32 => [0x41, .. S32((int)v)],
        Elem.I64 => [0x42, .. S64((long)v)],
        // Four different lanes: lane-wise constants must stay in their lanes.
        _ => [.. SimdInstr(0x0C), .. BitConverter.GetBytes((float)v), .. BitConverter.GetBytes((float)v + 1), .. BitConverter.GetBytes((float)v * 2), .. BitConverter.GetBytes((float)-v)],
    };

    /// <summary>A binary or unary operation on <paramref name="e"/>, given its f32 (or i32) opcode; f32x4's for a v128.</summary>
    private static byte[] Op(Elem e, byte f32OrI32) => e switch
    {
        Elem.F64 => [(byte)(f32OrI32 + 0x0E)],
        Elem.I64 => [(byte)(f32OrI32 + 0x12)],
        Elem.V128 => SimdInstr(f32OrI32 switch { 0x8B => 0xE0, 0x8C => 0xE1, 0x91 => 0xE3, 0x92 => 0xE4, 0x93 => 0xE5, 0x94 => 0xE6, _ => 0xE7u }),
        _ => [f32OrI32],
    };

    /// <summary>Pushes counter + c (local 0).</summary>
    private static byte[] At(int c) => [0x20, 0x00, 0x41, .. S32(c), 0x6A];

    /// <summary>
    /// Copy k of a body over X (at x) and Y (at y): the address constant grows by k elements, or (viaOffset) the memarg
    /// offset does. Locals: 0 counter, 1 bound, 2 a (invariant), 3 t (i32 temp), 4 v (element temp).
    /// </summary>
    private static byte[] Copy(Body body, Elem e, int k, int x, int y, bool viaOffset)
    {
        int step = viaOffset ? 0 : k * Size(e);
        uint off = viaOffset ? (uint)(k * Size(e)) : 0;
        byte[] LdX = [.. At(x + step), .. Mem(Load(e), e, off)], LdY = [.. At(y + step), .. Mem(Load(e), e, off)];
        byte[] StY = Mem(Store(e), e, off);
        return body switch
        {
            // Y = a · X + Y · c_k (c differs per copy: a vector constant).
            Body.Axpy => [.. At(y + step), 0x22, 0x03, 0x20, 0x02, .. LdX, .. Op(e, 0x94), 0x20, 0x03, .. Mem(Load(e), e, off), .. Num(e, 0.5 + k), .. Op(e, 0x94), .. Op(e, 0x92), .. StY],
            // X = X · 0.75 + Y · 0.25 − X · X · 0.01 (X through a tee'd address and a tee'd value used twice).
            Body.Relax => [.. At(x + step), 0x22, 0x03, 0x20, 0x03, .. Mem(Load(e), e, off), 0x22, 0x04, .. Num(e, 0.75), .. Op(e, 0x94),
                .. LdY, .. Num(e, 0.25), .. Op(e, 0x94), .. Op(e, 0x92), 0x20, 0x04, 0x20, 0x04, .. Op(e, 0x94), .. Num(e, 0.01), .. Op(e, 0x94), .. Op(e, 0x93), .. Mem(Store(e), e, off)],
            // Y = sqrt(|X|) / −Y − a; v = X.
            Body.Ops => [.. At(y + step), .. LdX, 0x22, 0x04, .. Op(e, 0x8B), .. Op(e, 0x91), .. LdY, .. Op(e, 0x8C), .. Op(e, 0x95), 0x20, 0x02, .. Op(e, 0x93), .. StY],
            // Y = ((((X · 3 + Y) ^ (X << 5)) >>s 2) | a) & (X >>u 1)) − a; v = X.
            _ => [.. At(y + step), .. LdX, 0x22, 0x04, .. Num(e, 3), .. Op(e, 0x6C), .. LdY, .. Op(e, 0x6A), 0x20, 0x04, .. Num(e, 5), .. Op(e, 0x74), .. Op(e, 0x73),
                .. Num(e, 2), .. Op(e, 0x75), 0x20, 0x02, .. Op(e, 0x72), 0x20, 0x04, .. Num(e, 1), .. Op(e, 0x76), .. Op(e, 0x71), 0x20, 0x02, .. Op(e, 0x6B), .. StY],
        };
    }

    /// <summary>
    /// f(i, n, a) -> i64: loop { u copies; i += u·e; br_if i != n }; then v is stored at 0 and (i &lt;&lt; 32 | t) returned.
    /// </summary>
    private static (Instance Inst, int Vectorized) Build(Body body, Elem e, int u, int x, int y, bool viaOffset, bool vectorize, uint pages = 1)
    {
        var code = new List<byte> { 0x03, 0x40 };
        for (int k = 0; k < u; k++) code.AddRange(Copy(body, e, k, x, y, viaOffset));
        code.AddRange([0x20, 0x00, 0x41, .. S32(u * Size(e)), 0x6A, 0x22, 0x00, 0x20, 0x01, 0x47, 0x0D, 0x00, 0x0B]);
        code.AddRange([0x41, 0x00, 0x20, 0x04, .. Mem(Store(e), e, 0)]);
        code.AddRange([0x20, 0x00, 0xAD, 0x42, 0x20, 0x86, 0x20, 0x03, 0xAD, 0x84]);
        var b = new ModuleBuilder();
        b.Memory(pages);
        b.Func(b.Type([I32, I32, T(e)], [I64]), [.. code], [I32, T(e)], export: "f");
        int before = VectorLoop.Vectorized;
        VectorLoop.Disabled = !vectorize;
        try
        {
            var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MeterFuel = true }).Instantiate();
            return (inst, VectorLoop.Vectorized - before);
        }
        finally
        {
            VectorLoop.Disabled = false;
        }
    }

    /// <summary>Seeded memory: random values with one in three a special (NaNs with payloads, ±inf, ±0, denormals, extremes).</summary>
    private static byte[] Image(Elem e, int bytes, int seed)
    {
        e = Lane(e);
        var r = new Random(seed);
        var m = new byte[bytes];
        r.NextBytes(m);
        if (e is Elem.I32 or Elem.I64) return m;
        uint[] f32 = [0x7FC00000, 0xFFC00001, 0x7F800001, 0x7FA5A5A5, 0x7F800000, 0xFF800000, 0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x7F7FFFFF, 0x3F800000];
        ulong[] f64 = [0x7FF8000000000000, 0xFFF8000000000001, 0x7FF0000000000001, 0x7FF4A5A5A5A5A5A5, 0x7FF0000000000000, 0xFFF0000000000000, 0, 0x8000000000000000, 1, 0x800FFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF, 0x3FF0000000000000];
        for (int at = 0; at + Size(e) <= bytes; at += Size(e))
        {
            bool special = r.Next(3) == 0;
            int pick = r.Next(f32.Length);
            if (e == Elem.F32) BitConverter.TryWriteBytes(m.AsSpan(at), special ? BitConverter.UInt32BitsToSingle(f32[pick]) : (float)(r.NextDouble() * 200 - 100));
            else BitConverter.TryWriteBytes(m.AsSpan(at), special ? BitConverter.UInt64BitsToDouble(f64[pick]) : r.NextDouble() * 200 - 100);
        }
        return m;
    }

    private static WasmValue Invariant(Elem e) => e switch
    {
        Elem.F32 => WasmValue.FromF32(1.25f), Elem.F64 => WasmValue.FromF64(-0.875), Elem.I32 => WasmValue.FromI32(0x1234567), Elem.I64 => WasmValue.FromI64(-0x123456789AB),
        _ => WasmValue.FromV128(System.Runtime.Intrinsics.Vector128.AsByte(System.Runtime.Intrinsics.Vector128.Create(1.25f, -0.5f, 3f, float.NaN))),
    };

    /// <summary>Runs f from a fresh copy of <paramref name="image"/>: result or trap message, fuel left, memory after.</summary>
    private static (string Outcome, long Left, byte[] Memory) Run(Instance inst, Elem e, byte[] image, int i0, int n, long fuel)
    {
        var mem = inst.GetMemory();
        image.CopyTo(mem.Span);
        inst.Fuel = fuel;
        string outcome;
        try
        {
            outcome = inst.Invoke("f", [WasmValue.FromI32(i0), WasmValue.FromI32(n), Invariant(e)])[0].I64.ToString("X");
        }
        catch (WasmTrapException ex)
        {
            outcome = ex.Message;
        }
        return (outcome, inst.Fuel, mem.Span.ToArray());
    }

    /// <summary>
    /// Equal bits, or (floats) two NaNs: where two NaN operands meet either may win (see the class summary). Elements
    /// are compared from byte <paramref name="phase"/> (mod their size), where the stored array's elements start.
    /// </summary>
    private static void AssertSameMemory(Elem e, byte[] want, byte[] got, int phase, string where)
    {
        if (want.AsSpan().SequenceEqual(got)) return;
        e = Lane(e);
        for (int at = phase % Size(e); at + Size(e) <= want.Length; at += Size(e))
        {
            if (want.AsSpan(at, Size(e)).SequenceEqual(got.AsSpan(at, Size(e)))) continue;
            bool bothNaN = e == Elem.F32 ? float.IsNaN(BitConverter.ToSingle(want, at)) && float.IsNaN(BitConverter.ToSingle(got, at))
                : e == Elem.F64 && double.IsNaN(BitConverter.ToDouble(want, at)) && double.IsNaN(BitConverter.ToDouble(got, at));
            Assert.True(bothNaN, $"{where}: memory differs at {at}: {Convert.ToHexString(want, at, Size(e))} (scalar) vs {Convert.ToHexString(got, at, Size(e))} (vector)");
        }
    }

    /// <summary>Vector and scalar builds agree on one run at <paramref name="fuel"/>.</summary>
    private static void Same(Instance vec, Instance plain, Elem e, byte[] image, int i0, int n, long fuel, string where, int phase = 0)
    {
        var want = Run(plain, e, image, i0, n, fuel);
        var got = Run(vec, e, image, i0, n, fuel);
        Assert.True(want.Outcome == got.Outcome, $"{where} at fuel {fuel}: {got.Outcome} (vector) vs {want.Outcome} (scalar)");
        Assert.True(want.Left == got.Left, $"{where} at fuel {fuel}: fuel left {got.Left} (vector) vs {want.Left} (scalar)");
        AssertSameMemory(e, want.Memory, got.Memory, phase, $"{where} at fuel {fuel}");
    }

    /// <summary>Loops a qualifying body vectorises: one, except over v128 elements without 32-byte vector hardware.</summary>
    private static int Expected(Elem e) => e != Elem.V128 || System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? 1 : 0;

    public static TheoryData<Body, Elem, int, bool> Shapes()
    {
        var d = new TheoryData<Body, Elem, int, bool>();
        foreach (var e in new[] { Elem.F32, Elem.F64, Elem.I32, Elem.I64, Elem.V128 })
            foreach (var body in e is Elem.I32 or Elem.I64 ? new[] { Body.Int } : new[] { Body.Axpy, Body.Relax, Body.Ops })
                for (int u = 1; u * Size(e) <= VectorBytes(e); u *= 2)
                    foreach (bool viaOffset in new[] { false, true })
                        if (u > 1 || !viaOffset) d.Add(body, e, u, viaOffset);
        return d;
    }

    /// <summary>
    /// Every trip count 1..3·VF + 1, counting up from a negative start to 0 (clang's shape) and from 0 up: all budgets
    /// from 0 to a full run + 2 for the trip counts around VF, plenty for the others; the loop must be vectorised.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void AgreesWithScalarAtEveryTripCountAndBudget(Body body, Elem e, int u, bool viaOffset)
    {
        int s = u * Size(e), vf = VectorBytes(e) / s;
        const int X = 4096, Y = 12288;
        var (vec, n) = Build(body, e, u, X, Y, viaOffset, vectorize: true);
        var (plain, m) = Build(body, e, u, X, Y, viaOffset, vectorize: false);
        Assert.Equal(Expected(e), n);
        Assert.Equal(0, m);
        var image = Image(e, 65536, 16 + (int)body * 8 + (int)e * 4 + u);
        for (int t = 1; t <= 3 * vf + 1; t++)
            foreach (int i0 in new[] { -t * s, 0 })
            {
                string where = $"{body} {e} u={u}{(viaOffset ? " (offsets)" : "")} t={t} from {i0}";
                long total = Plenty - Run(plain, e, image, i0, i0 + t * s, Plenty).Left;
                bool sweep = t <= vf + 1 || t == 3 * vf + 1;
                for (long fuel = sweep ? 0 : Plenty; fuel <= (sweep ? total + 2 : Plenty); fuel++)
                    Same(vec, plain, e, image, i0, i0 + t * s, fuel, where);
            }
    }

    /// <summary>
    /// The arrays at every distance from −64 to 64 bytes: vectorised only when the streams are the same or a whole
    /// vector and a whole number of elements apart, and exact either way.
    /// </summary>
    [Theory]
    [InlineData(Body.Axpy, Elem.F32, 2)]
    [InlineData(Body.Relax, Elem.F32, 2)]
    [InlineData(Body.Ops, Elem.F64, 1)]
    [InlineData(Body.Int, Elem.I32, 4)]
    [InlineData(Body.Int, Elem.I64, 2)]
    [InlineData(Body.Axpy, Elem.V128, 2)]
    [InlineData(Body.Relax, Elem.V128, 1)]
    public void OverlappingArraysRejectOrStayExact(Body body, Elem e, int u)
    {
        int s = u * Size(e), vf = VectorBytes(e) / s;
        var image = Image(e, 65536, 99 + (int)e);
        for (int d = -64; d <= 64; d++)
        {
            const int X = 8192;
            var (vec, n) = Build(body, e, u, X, X + d, false, vectorize: true);
            var (plain, _) = Build(body, e, u, X, X + d, false, vectorize: false);
            Assert.True(n == (d == 0 || Math.Abs(d) >= VectorBytes(e) && d % Size(e) == 0 ? Expected(e) : 0), $"distance {d}: {n} loops vectorised");
            foreach (int t in new[] { 1, vf, vf + 1, 2 * vf + 1, 3 * vf + 1, 40 })
                Same(vec, plain, e, image, 0, t * s, Plenty, $"{body} {e} u={u} distance {d} t={t}", body == Body.Relax ? 0 : d + 64);
        }
    }

    /// <summary>
    /// A one-page memory whose end falls inside the run, at every byte of the last three groups, and a counter whose
    /// addresses wrap past 2^32: the vector part is skipped (or covers only the groups inside) and the scalar loop traps
    /// at the same access with the same memory and fuel, at every budget.
    /// </summary>
    [Theory]
    [InlineData(Body.Axpy, Elem.F32, 2)]
    [InlineData(Body.Relax, Elem.F64, 2)]
    [InlineData(Body.Int, Elem.I32, 1)]
    [InlineData(Body.Axpy, Elem.V128, 2)]
    public void MemoryEndAndWrapTrapWhereScalarDoes(Body body, Elem e, int u)
    {
        int s = u * Size(e), vf = VectorBytes(e) / s, t = 3 * vf + 1;
        var image = Image(e, 65536, 7 + (int)e);
        for (int cut = 0; cut <= 3 * 16; cut += Size(e) == 8 ? 4 : 1)
        {
            // Y's last element ends cut bytes past the memory's end (X moves with it: whole elements apart).
            int y = 65536 + cut - t * s;
            var (vec, n) = Build(body, e, u, 1024 + cut, y, false, vectorize: true);
            var (plain, _) = Build(body, e, u, 1024 + cut, y, false, vectorize: false);
            Assert.Equal(Expected(e), n);
            long total = Plenty - Run(plain, e, image, 0, t * s, Plenty).Left;
            for (long fuel = 0; fuel <= total + 2; fuel += cut == 0 || fuel + 7 > total ? 1 : 7)
                Same(vec, plain, e, image, 0, t * s, fuel, $"{body} {e} u={u} cut {cut}");
        }
        // (u32)(i + C) runs from 2^32 − 32 across the wrap: out of bounds until it wraps to 0.
        var (wv, _) = Build(body, e, u, 1024, 32, false, vectorize: true);
        var (wp, _) = Build(body, e, u, 1024, 32, false, vectorize: false);
        foreach (int t2 in new[] { 1, vf + 1, 3 * vf + 1, 64 })
            Same(wv, wp, e, image, -64, -64 + t2 * s, Plenty, $"{body} {e} u={u} wrapping t={t2}");
    }

    /// <summary>Compiles <paramref name="code"/> as f(i32 i, i32 n, f32 a) -> f32 with locals (i32, f32) over one page, metered.</summary>
    private static Instance CompileF32(byte[] code, bool vectorize)
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        b.Func(b.Type([I32, I32, F32], [F32]), code, [I32, F32], export: "f");
        VectorLoop.Disabled = !vectorize;
        try
        {
            return CompiledModule.Compile(b.Build(), new WasmLimits { MeterFuel = true }).Instantiate();
        }
        finally
        {
            VectorLoop.Disabled = false;
        }
    }

    /// <summary>
    /// Hostile: a body of 60 squarings through one tee'd local (a DAG whose tree unfolds to 2^60 nodes) and one store
    /// compiles within a second (plan and emission visit each node once) and agrees with the scalar build.
    /// </summary>
    [Fact]
    public void DeepSharedChainCompilesLinearly()
    {
        List<byte> code = [0x03, 0x40, .. At(8192), .. At(4096), 0x2A, 0x02, 0x00, 0x22, 0x04];
        for (int i = 0; i < 60; i++) code.AddRange([0x20, 0x04, 0x94, 0x22, 0x04]); // v = v * v (tee)
        code.AddRange([0x38, 0x02, 0x00, 0x20, 0x00, 0x41, 0x04, 0x6A, 0x22, 0x00, 0x20, 0x01, 0x47, 0x0D, 0x00, 0x0B, 0x20, 0x04]);
        int before = VectorLoop.Vectorized;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var vec = CompileF32([.. code], vectorize: true);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"compiled in {watch.Elapsed}");
        Assert.Equal(before + 1, VectorLoop.Vectorized);
        var plain = CompileF32([.. code], vectorize: false);
        var image = Image(Elem.F32, 65536, 5);
        foreach (int t in new[] { 1, 4, 5, 9, 100 })
            Same(vec, plain, Elem.F32, image, 0, t * 4, Plenty, $"chain t={t}");
    }

    /// <summary>
    /// A constant the first copy tees and the second reads (clang's v128 constants): vectorised, both lanes get it;
    /// a loaded value read across copies is refused (the lanes would differ).
    /// </summary>
    [Fact]
    public void ConstantTeedByOneCopyIsSharedButLoadsAreNot()
    {
        byte[] tail = [0x20, 0x00, 0x41, 0x08, 0x6A, 0x22, 0x00, 0x20, 0x01, 0x47, 0x0D, 0x00, 0x0B, 0x20, 0x04];
        // Y[i] = X[i] * (c = -1.5); Y[i + 1] = X[i + 1] * c.
        byte[] shared = [0x03, 0x40, .. At(8192), .. At(4096), 0x2A, 0x02, 0x00, 0x43, .. BitConverter.GetBytes(-1.5f), 0x22, 0x04, 0x94, 0x38, 0x02, 0x00,
            .. At(8196), .. At(4100), 0x2A, 0x02, 0x00, 0x20, 0x04, 0x94, 0x38, 0x02, 0x00, .. tail];
        // Y[i] = (v = X[i]); Y[i + 1] = X[i + 1] * v: v is copy 0's load.
        byte[] carried = [0x03, 0x40, .. At(8192), .. At(4096), 0x2A, 0x02, 0x00, 0x22, 0x04, 0x38, 0x02, 0x00,
            .. At(8196), .. At(4100), 0x2A, 0x02, 0x00, 0x20, 0x04, 0x94, 0x38, 0x02, 0x00, .. tail];
        var image = Image(Elem.F32, 65536, 11);
        foreach (var (code, vectorised) in new[] { (shared, 1), (carried, 0) })
        {
            int before = VectorLoop.Vectorized;
            var vec = CompileF32(code, vectorize: true);
            Assert.Equal(before + vectorised, VectorLoop.Vectorized);
            var plain = CompileF32(code, vectorize: false);
            foreach (int t in new[] { 1, 2, 3, 7, 64 })
            {
                var want = Run(plain, Elem.F32, image, 0, t * 8, Plenty);
                var got = Run(vec, Elem.F32, image, 0, t * 8, Plenty);
                Assert.Equal(want.Outcome, got.Outcome);
                AssertSameMemory(Elem.F32, want.Memory, got.Memory, 0, $"t={t}");
            }
        }
    }

    /// <summary>Bodies outside the rule are left scalar: a value carried between iterations, mixed element sizes, min.</summary>
    [Fact]
    public void RejectsCarriedValuesMixedSizesAndInexactOps()
    {
        // v = v + X[i] (a reduction: reads v before writing it).
        byte[] reduction = [0x03, 0x40, 0x20, 0x04, .. At(64), 0x2A, 0x02, 0x00, 0x92, 0x21, 0x04, .. At(1024), 0x20, 0x04, 0x38, 0x02, 0x00,
            0x20, 0x00, 0x41, 0x04, 0x6A, 0x22, 0x00, 0x20, 0x01, 0x47, 0x0D, 0x00, 0x0B];
        // Y[i] = f32.min(X[i], Y[i]): the lane min returns the canonical NaN, the scalar one may not.
        byte[] min = [0x03, 0x40, .. At(4096), .. At(64), 0x2A, 0x02, 0x00, .. At(4096), 0x2A, 0x02, 0x00, 0x96, 0x38, 0x02, 0x00,
            0x20, 0x00, 0x41, 0x04, 0x6A, 0x22, 0x00, 0x20, 0x01, 0x47, 0x0D, 0x00, 0x0B];
        // Y[i] = X[i] as f32, and as f64 at other arrays: elements of two sizes.
        byte[] mixed = [0x03, 0x40, .. At(4096), .. At(64), 0x2A, 0x02, 0x00, 0x38, 0x02, 0x00, .. At(16384), .. At(8192), 0x2B, 0x03, 0x00, 0x39, 0x03, 0x00,
            0x20, 0x00, 0x41, 0x04, 0x6A, 0x22, 0x00, 0x20, 0x01, 0x47, 0x0D, 0x00, 0x0B];
        foreach (var code in new[] { reduction, min, mixed })
        {
            int before = VectorLoop.Vectorized;
            var inst = CompileF32([.. code, 0x20, 0x04], vectorize: true);
            Assert.Equal(before, VectorLoop.Vectorized);
            inst.Fuel = Plenty;
            inst.Invoke("f", [WasmValue.FromI32(0), WasmValue.FromI32(64), WasmValue.FromF32(1)]);
        }
    }
}
