using System.Runtime.CompilerServices;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

public class CollectibleTests
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CompileRunAndDrop()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([I32, I32], [I32]), [0x20, 0, 0x20, 1, 0x6A], export: "add");
        var module = CompiledModule.Compile(b.Build());
        var inst = module.Instantiate();
        Assert.Equal(3, inst.GetFunction<Func<int, int, int>>("add")(1, 2));
        Assert.Equal(7, inst.Invoke("add", [Runtime.WasmValue.FromI32(3), Runtime.WasmValue.FromI32(4)])[0].I32);
        return new WeakReference(module.CodeHolder);
    }

    [Fact]
    public void UnloadedModulesFreeTheirCode()
    {
        var weak = CompileRunAndDrop();
        for (int i = 0; i < 20 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(weak.IsAlive, "generated code is still reachable after the module and instances were dropped");
    }
}
