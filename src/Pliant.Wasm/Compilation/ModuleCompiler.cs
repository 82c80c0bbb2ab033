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
        var tokens = new MemberTokens(mb);
        for (int i = 0; i < builders.Length; i++)
        {
            var ft = m.Types[(int)m.Functions[i]];
            var fc = new FunctionCompiler(builders[i].GetILGenerator(), tokens, m, builders, ft, m.Bodies[i], limits);
            fc.Compile(m.Bodies[i].Code);
        }
        var type = tb.CreateType();
        // Entry points from the method tokens: no reflection objects, no helper method to JIT (a method
        // that collected them with ldftn cost ~350 µs per module, as much as compiling 4 KiB of code).
        var entries = new nint[builders.Length];
        var handles = type.Module.ModuleHandle;
        for (int i = 0; i < builders.Length; i++) entries[i] = handles.ResolveMethodHandle(builders[i].MetadataToken).GetFunctionPointer();
        return (entries, type);
    }
}
