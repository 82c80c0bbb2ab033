using System.Reflection;
using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

/// <summary>Compiles every function of a validated module into static methods of one collectible assembly.</summary>
internal static class ModuleCompiler
{
    private static int _counter;

    public static (MethodInfo[] Methods, nint[] Entries, Type Holder) Compile(WasmModule m)
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
            var fc = new FunctionCompiler(builders[i].GetILGenerator(), m, builders, ft, m.Bodies[i]);
            fc.Compile(m.Bodies[i].Code);
        }
        var type = tb.CreateType();
        var methods = new MethodInfo[builders.Length];
        var entries = new nint[builders.Length];
        var byName = type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).ToDictionary(x => x.Name);
        for (int i = 0; i < builders.Length; i++)
        {
            methods[i] = byName[builders[i].Name];
            entries[i] = methods[i].MethodHandle.GetFunctionPointer();
        }
        return (methods, entries, type);
    }
}
