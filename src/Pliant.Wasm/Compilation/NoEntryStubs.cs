using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Entry points for the functions compiled without one (ModuleCompiler: a metered self-recursive function that
/// nothing outside its module's code reaches has only its fuel-passing body, whose signature differs). An instance
/// still lists such a function in <see cref="Runtime.Instance.Functions"/> (a public field); its entry there is a
/// stub of the function's signature that throws <see cref="WasmLinkException"/>, so a host that calls it or puts
/// it in a table gets that exception, never a call through a null pointer. One stub per signature and process.
/// </summary>
internal static class NoEntryStubs
{
    internal const string Message = "function has no entry point: only its own module's code calls it (compiled without a wrapper)";

    private static readonly ConcurrentDictionary<FuncType, nint> Stubs = new();

    /// <summary>The throwing stub of signature <paramref name="type"/> (its parameters, then the instance).</summary>
    public static nint For(FuncType type) => Stubs.GetOrAdd(type, Build);

    private static nint Build(FuncType type)
    {
        var ab = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("PliantWasmNoEntry" + Guid.NewGuid().ToString("N")), AssemblyBuilderAccess.RunAndCollect);
        var tb = ab.DefineDynamicModule("stub").DefineType("Stub", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract);
        var mb = tb.DefineMethod("NoEntry", MethodAttributes.Public | MethodAttributes.Static, ClrTypes.Return(type), ClrTypes.Params(type));
        var il = mb.GetILGenerator();
        il.Emit(OpCodes.Ldstr, Message);
        il.Emit(OpCodes.Newobj, typeof(WasmLinkException).GetConstructor([typeof(string)])!);
        il.Emit(OpCodes.Throw);
        var mi = tb.CreateType().GetMethod("NoEntry")!;
        System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(mi.MethodHandle);
        // The stub's type (and assembly) stays alive through the cache, which holds only its entry: keep it.
        Keep.Add(mi);
        return mi.MethodHandle.GetFunctionPointer();
    }

    private static readonly ConcurrentBag<MethodInfo> Keep = [];
}
