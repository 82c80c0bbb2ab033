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
}
