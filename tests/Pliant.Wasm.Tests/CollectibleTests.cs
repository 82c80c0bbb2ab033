using System.Runtime.CompilerServices;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>Alone: other tests compiling at the same time would share (and keep alive) the assemblies these tests watch.</summary>
[CollectionDefinition(nameof(CollectibleTests), DisableParallelization = true)]
public class CollectibleCollection;

[Collection(nameof(CollectibleTests))]
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

    private static byte[] AddConst(int k)
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([I32], [I32]), [0x20, 0, 0x41, (byte)k, 0x6A], export: "f");
        return b.Build();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<WeakReference> CompileManyRunAndDrop(int count)
    {
        var weak = new List<WeakReference>();
        var modules = new List<CompiledModule>();
        // Start a fresh shared assembly: the open one may hold a module another test keeps alive.
        var previous = CompiledModule.Compile(AddConst(0)).CodeHolder.Assembly;
        while (CompiledModule.Compile(AddConst(0)).CodeHolder.Assembly == previous) { }
        for (int k = 0; k < count; k++) modules.Add(CompiledModule.Compile(AddConst(k % 60)));
        // Every module of every shared batch still runs its own code.
        for (int k = 0; k < count; k++)
        {
            Assert.Equal(100 + k % 60, modules[k].Instantiate().GetFunction<Func<int, int>>("f")(100));
            weak.Add(new WeakReference(modules[k].CodeHolder));
        }
        return weak;
    }

    [Fact]
    public void ModulesSharingAssembliesAreAllFreedOnceDropped()
    {
        // 40 modules span at least three shared assemblies (16 modules each, ModuleCompiler.ModulesPerAssembly).
        var weak = CompileManyRunAndDrop(40);
        for (int i = 0; i < 20 && weak.Any(w => w.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.DoesNotContain(weak, w => w.IsAlive);
    }

    [Fact]
    public void AFailedCompilationDoesNotSpoilTheNextOnes()
    {
        var b = new ModuleBuilder();
        b.FuncWithLocals(b.Type([], [I32]), [0x41, 1], [(100u, I64)], export: "f");
        var tooBig = b.Build();
        for (int round = 0; round < 3; round++)
        {
            var e = Assert.Throws<WasmInvalidException>(() => CompiledModule.Compile(tooBig, new WasmLimits { MaxFrameSlots = 16 }));
            Assert.Contains("frame slots", e.Message);
            Assert.Equal(107, CompiledModule.Compile(AddConst(7)).Instantiate().GetFunction<Func<int, int>>("f")(100));
        }
    }

    [Fact]
    public void ConcurrentCompilationsEachGetWorkingCode()
    {
        // Threads compiling at once never share an emitter (each rents the open batch alone or starts one).
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            for (int k = 0; k < 25; k++)
            {
                int c = (t * 25 + k) % 60;
                int r = CompiledModule.Compile(AddConst(c)).Instantiate().GetFunction<Func<int, int>>("f")(1000);
                if (r != 1000 + c) failures.Add($"thread {t} module {k}: {r}");
            }
        });
        Assert.Empty(failures);
    }
}
