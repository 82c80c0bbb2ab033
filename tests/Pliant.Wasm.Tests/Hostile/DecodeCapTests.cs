using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Hostile;

/// <summary>
/// Modules that announce far more than they contain, or more than any plugin needs: each is refused
/// while decoding (WasmMalformedException naming the cap), before the engine allocates for it — the
/// bytes the decoder allocated stay a small multiple of the input, checked here.
/// </summary>
public class DecodeCapTests
{
    private static (WasmMalformedException Error, long Allocated) Refused(byte[] wasm, WasmLimits? limits = null)
    {
        var (error, allocated) = Bounded.Run(() => CompiledModule.DecodeAndValidate(wasm, limits));
        return (Assert.IsType<WasmMalformedException>(error), allocated);
    }

    /// <summary>A module of <paramref name="count"/> functions of type <c>() -> ()</c>, each added by <paramref name="add"/>.</summary>
    private static byte[] WithFunctions(int count, Action<ModuleBuilder, uint> add)
    {
        var b = new ModuleBuilder();
        uint t = b.Type([], []);
        for (int i = 0; i < count; i++) add(b, t);
        return b.Build();
    }

    [Fact]
    public void HundredThousandFunctionsAreRefusedAtTheFunctionSection()
    {
        var (e, allocated) = Refused(WithFunctions(100_000, (b, t) => b.Func(t, [])));
        Assert.Equal("module exceeds the engine's cap of 10000 functions", e.Message);
        // Refused on the function section's count: nothing was decoded for the 100 000 bodies.
        Assert.True(allocated < 64 << 10, $"{allocated} bytes allocated");
    }

    [Fact]
    public void FunctionsAtTheCapDecodeInBoundedMemory()
    {
        var wasm = WithFunctions(WasmLimits.Default.MaxFunctions, (b, t) => b.Func(t, [0x01]));
        var (error, allocated) = Bounded.Run(() => CompiledModule.DecodeAndValidate(wasm));
        Assert.Null(error);
        Assert.True(allocated < 200L * wasm.Length, $"{allocated} bytes allocated for a {wasm.Length}-byte module");
    }

    [Fact]
    public void TooManyLocalsInOneFunctionAreRefused()
    {
        // 40 000 i64 locals: a 320 KiB native frame, which could overflow a thread's stack before the
        // compiled code's stack check runs (and end the process). The cap is 4096 per function.
        var b = new ModuleBuilder();
        b.FuncWithLocals(b.Type([], []), [], [(40_000, I64)]);
        var (e, allocated) = Refused(b.Build());
        Assert.Equal("too many locals", e.Message);
        Assert.True(allocated < 16 << 10, $"{allocated} bytes allocated");
    }

    [Fact]
    public void LocalsSummedOverFunctionsAreCapped()
    {
        // 2000 functions of 4000 locals each: 8 million locals from a few kilobytes of input.
        var (e, allocated) = Refused(WithFunctions(2000, (b, t) => b.FuncWithLocals(t, [], [(4000, I32)])));
        Assert.Equal("module exceeds the engine's cap of 131072 locals (summed over functions)", e.Message);
        // Refused at the 33rd body, before its locals were allocated: at most 32 × 4000 bytes of locals.
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void LocalCountsAreCheckedBeforeAllocating()
    {
        // Groups whose sum overflows: refused on the counts, not after expanding them.
        var b = new ModuleBuilder();
        b.FuncWithLocals(b.Type([], []), [], [(4000, I32), (uint.MaxValue, I32)]);
        var (e, allocated) = Refused(b.Build());
        Assert.Equal("too many locals", e.Message);
        Assert.True(allocated < 16 << 10, $"{allocated} bytes allocated");
    }

    [Fact]
    public void GiantBrTableIsRefused()
    {
        // br_table with 200 000 targets (one byte each).
        var code = new List<byte> { 0x02, 0x40, 0x41, 0x00, 0x0E };
        code.AddRange(U32(200_000));
        code.AddRange(new byte[200_001]);
        code.Add(0x0B);
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), [.. code]);
        var wasm = b.Build();
        var (e, allocated) = Refused(wasm, WasmLimits.Default with { MaxFunctionBodyBytes = 1 << 20 });
        Assert.Equal("module exceeds the engine's cap of 65536 targets in a br_table", e.Message);
        Assert.True(allocated < 64 << 10, $"{allocated} bytes allocated");
    }

    [Fact]
    public void BrTableJustUnderTheCapCompilesAndRuns()
    {
        int targets = WasmLimits.Default.MaxBrTableTargets - 1; // plus the default
        var code = new List<byte> { 0x02, 0x40, 0x20, 0x00, 0x0E };
        code.AddRange(U32((uint)targets));
        code.AddRange(new byte[targets + 1]);
        code.AddRange(new byte[] { 0x0B, 0x41, 0x07 });
        var b = new ModuleBuilder();
        b.Func(b.Type([I32], [I32]), [.. code], export: "f");
        var wasm = b.Build();
        var (error, allocated) = Bounded.Run(() =>
            Assert.Equal(7, CompiledModule.Compile(wasm).Instantiate().GetFunction<Func<int, int>>("f")(12345)));
        Assert.Null(error);
        Assert.True(allocated < 64L << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void OversizedFunctionBodyIsRefused()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), Enumerable.Repeat((byte)0x01, 200_000).ToArray()); // 200 000 nops
        var (e, allocated) = Refused(b.Build());
        Assert.Equal("module exceeds the engine's cap of 131072 bytes in a function body", e.Message);
        Assert.True(allocated < 64 << 10, $"{allocated} bytes allocated");
    }

    [Theory]
    [InlineData("10000 function types")]
    [InlineData("1000 parameters or results in a function type")]
    [InlineData("1000 imports")]
    public void SectionCountsAreCapped(string cap)
    {
        var b = new ModuleBuilder();
        switch (cap)
        {
            case "10000 function types":
                for (int i = 0; i <= 10_000; i++) b.Type([], []);
                break;
            case "1000 parameters or results in a function type":
                b.Type(Enumerable.Repeat(I32, 1001).ToArray(), []);
                break;
            default:
                uint t = b.Type([], []);
                for (int i = 0; i <= 1000; i++) b.ImportFunc("m", "f" + i, t);
                break;
        }
        var (e, _) = Refused(b.Build());
        Assert.Equal($"module exceeds the engine's cap of {cap}", e.Message);
    }
}
