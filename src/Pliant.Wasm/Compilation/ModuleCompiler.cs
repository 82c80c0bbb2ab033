using System.Reflection;
using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

/// <summary>Compiles every function of a validated module into static methods of one collectible assembly.</summary>
internal static class ModuleCompiler
{
    private static int _counter;

    public static (nint[] Entries, Type Holder) Compile(WasmModule m, WasmLimits limits)
    {
        int id = Interlocked.Increment(ref _counter);
        var ab = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("PliantWasm" + id), AssemblyBuilderAccess.RunAndCollect);
        var mb = ab.DefineDynamicModule("wasm");
        var tb = mb.DefineType("WasmFunctions", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract);
        var builders = new MethodBuilder[m.Functions.Count];
        for (int i = 0; i < builders.Length; i++)
        {
            var ft = m.Types[(int)m.Functions[i]];
            builders[i] = tb.DefineMethod("f" + (i + m.ImportedFunctionCount), MethodAttributes.Public | MethodAttributes.Static, ClrTypes.Return(ft), ClrTypes.Params(ft));
            // Fully optimised at first call: wasm code is hot by construction, no tier-0 pass.
            builders[i].SetImplementationFlags(MethodImplAttributes.AggressiveOptimization);
        }
        for (int i = 0; i < builders.Length; i++)
        {
            var ft = m.Types[(int)m.Functions[i]];
            var fc = new FunctionCompiler(builders[i].GetILGenerator(), m, builders, ft, m.Bodies[i], limits);
            fc.Compile(m.Bodies[i].Code);
        }
        // One extra method collects every entry point with ldftn (cheaper than reflection per function).
        var filler = tb.DefineMethod("entries", MethodAttributes.Public | MethodAttributes.Static, typeof(void), [typeof(nint[])]);
        var il = filler.GetILGenerator();
        for (int i = 0; i < builders.Length; i++)
        {
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldftn, builders[i]);
            il.Emit(OpCodes.Stelem_I);
        }
        il.Emit(OpCodes.Ret);
        var type = tb.CreateType();
        var entries = new nint[builders.Length];
        type.GetMethod("entries")!.CreateDelegate<Action<nint[]>>()(entries);
        return (entries, type);
    }
}
