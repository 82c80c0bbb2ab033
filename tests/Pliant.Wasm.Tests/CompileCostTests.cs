using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// What compiling a module costs, counted rather than timed: <see cref="CompiledModule.Compile(System.ReadOnlyMemory{byte}, WasmLimits?)"/>
/// produces IL and entry points without running the JIT (the functions are JIT-compiled at their first call
/// or by <see cref="CompiledModule.PrepareAll"/>); a helper method that collected the entry points had to be
/// JIT-compiled for every module, as much time as compiling 4 KiB of wasm to IL.
/// </summary>
public class CompileCostTests
{
    [Fact]
    public void CompileRunsNoJit()
    {
        var b = new ModuleBuilder();
        uint t = b.Type([I32, I32], [I32]);
        for (int i = 0; i < 20; i++) b.Func(t, [0x20, 0, 0x20, 1, 0x6A], export: "add" + i);
        var bytes = b.Build();
        CompiledModule.Compile(bytes); // the compiler's own code is JIT-compiled here
        long before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
        var m = CompiledModule.Compile(bytes);
        long jitted = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before;
        Assert.Equal(0, jitted);
        Assert.Equal(7, m.Instantiate().GetFunction<Func<int, int, int>>("add13")(3, 4)); // entry points work
    }

    /// <summary>
    /// 20 functions of 801 instructions: decoding allocates about one 32-byte <c>Instr</c> per instruction (no
    /// list growth copies), compiling a bounded amount per instruction (no per-instruction closure or buffer).
    /// Bounds: 48 B per instruction each (measured 32 and 19; before: 114, and 72 with a closure per instruction).
    /// </summary>
    [Fact]
    public void DecodeAndCompileAllocateBoundedBytesPerInstruction()
    {
        var b = new ModuleBuilder();
        uint t = b.Type([I32, I32], [I32]);
        var body = new List<byte>();
        for (int i = 0; i < 200; i++) body.AddRange([0x20, 0, 0x20, 1, 0x6A, 0x21, 0]); // local.get 0, local.get 1, i32.add, local.set 0
        body.AddRange([0x20, 0]);
        for (int f = 0; f < 20; f++) b.Func(t, [.. body]);
        var bytes = b.Build();
        int instructions = 20 * 802;
        CompiledModule.Compile(bytes); // warm: the compiler's own code and per-thread buffers

        long before = GC.GetAllocatedBytesForCurrentThread();
        var m = CompiledModule.DecodeAndValidate(bytes);
        long decoded = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        CompiledModule.Compile(m);
        long compiled = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(decoded < 48 * instructions, $"decode+validate allocated {decoded} bytes for {instructions} instructions");
        Assert.True(compiled < 48 * instructions, $"compile allocated {compiled} bytes for {instructions} instructions");
    }
}
