using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Hostile;

/// <summary>
/// Native frames stay small enough for the entry stack check to catch deep recursion before the
/// thread's stack overflows (which would end the process, not trap).
/// </summary>
public class FrameLimitTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(512)]
    [InlineData(1024)]
    public void RecursionWithTheLargestFrameTrapsOnASmallStack(int stackKiB)
    {
        // As many i64 locals as allowed, all live across the recursive call.
        int locals = WasmLimits.Default.MaxLocalsPerFunction;
        var b = new ModuleBuilder();
        uint last = (uint)locals - 1;
        b.FuncWithLocals(b.Type([], []),
            [0x42, 0x01, 0x21, .. U32(last), 0x10, 0x00, 0x20, .. U32(last), 0x20, 0x00, 0x7C, 0x21, .. U32(last)],
            [((uint)locals, I64)], export: "rec");
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 1_000_000 }).Instantiate();
        for (int i = 0; i < 2; i++)
        {
            var (error, _) = Bounded.Run(() => inst.Invoke("rec", []), stackBytes: stackKiB << 10);
            Assert.Equal("call stack exhausted", Assert.IsType<WasmTrapException>(error).Message);
        }
    }

    [Fact]
    public void DeferredConstantsTakeNoSlotUntilABlockNeedsThem()
    {
        // 9000 constants under a block: the block stores them into slots first, over the cap; without the block
        // they stay deferred and the function compiles.
        var code = new List<byte>();
        for (int i = 0; i < 9000; i++) code.AddRange([0x41, 0x01]);
        byte[] drops = [.. Enumerable.Repeat((byte)0x1A, 9000)];
        var plain = new ModuleBuilder();
        plain.Func(plain.Type([], []), [.. code, .. drops]);
        CompiledModule.Compile(plain.Build());
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), [.. code, 0x02, 0x40, 0x0B, .. drops]);
        var e = Assert.Throws<WasmInvalidException>(() => CompiledModule.Compile(b.Build()));
        Assert.Equal("function needs more than the engine's cap of 8192 frame slots", e.Message);
    }

    [Fact]
    public void DeepOperandStackOverTheFrameCapIsRefusedAtCompile()
    {
        // 9000 computed values (i32.eqz of a constant) pushed and then dropped: 9000 stack slots, more than the
        // 8192-slot frame cap. (Constants alone take no slot: the compiler defers them to their consumer.)
        var code = new List<byte>();
        for (int i = 0; i < 9000; i++) code.AddRange([0x41, 0x01, 0x45]);
        for (int i = 0; i < 9000; i++) code.Add(0x1A);
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), [.. code]);
        var e = Assert.Throws<WasmInvalidException>(() => CompiledModule.Compile(b.Build()));
        Assert.Equal("function needs more than the engine's cap of 8192 frame slots", e.Message);
    }
}
