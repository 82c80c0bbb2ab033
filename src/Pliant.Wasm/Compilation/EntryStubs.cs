using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Generated glue between C# and compiled wasm: untyped invokers (per signature), typed export
/// delegates, and host-function entry stubs (per delegate type) so wasm calls hosts directly.
/// </summary>
internal static class EntryStubs
{
    public delegate void InvokerFn(FunctionInstance f, WasmValue[] args, WasmValue[] results);

    private static readonly ConcurrentDictionary<FuncType, InvokerFn> Invokers = new();
    private static readonly ConcurrentDictionary<Type, (MethodInfo Method, nint Entry)> HostStubs = new();
    private static readonly ConcurrentDictionary<Type, FuncType> Signatures = new();
    private static readonly ConcurrentDictionary<(Type Delegate, FuncType Target, bool Neutral), MethodInfo> TypedStubs = new();

    private static MethodInfo V(string name) => typeof(WasmValue).GetMethod(name)!;

    private static MethodInfo Getter(ValType t) => typeof(WasmValue).GetProperty(t switch
    {
        ValType.I32 => nameof(WasmValue.I32),
        ValType.I64 => nameof(WasmValue.I64),
        ValType.F32 => nameof(WasmValue.F32),
        ValType.F64 => nameof(WasmValue.F64),
        ValType.V128 => nameof(WasmValue.V128),
        _ => nameof(WasmValue.Ref),
    })!.GetMethod!;

    private static void EmitBox(ILGenerator il, ValType t)
    {
        switch (t)
        {
            case ValType.I32: il.Emit(OpCodes.Call, V(nameof(WasmValue.FromI32))); break;
            case ValType.I64: il.Emit(OpCodes.Call, V(nameof(WasmValue.FromI64))); break;
            case ValType.F32: il.Emit(OpCodes.Call, V(nameof(WasmValue.FromF32))); break;
            case ValType.F64: il.Emit(OpCodes.Call, V(nameof(WasmValue.FromF64))); break;
            case ValType.V128: il.Emit(OpCodes.Call, V(nameof(WasmValue.FromV128))); break;
            default:
            {
                var tmp = il.DeclareLocal(typeof(object));
                il.Emit(OpCodes.Stloc, tmp);
                il.Emit(OpCodes.Ldc_I4, (int)t);
                il.Emit(OpCodes.Ldloc, tmp);
                il.Emit(OpCodes.Call, V(nameof(WasmValue.FromRef)));
                break;
            }
        }
    }

    /// <summary>Untyped invoker for a signature: unpacks args, calls the entry point, packs results.</summary>
    public static InvokerFn Invoker(FuncType ft) => Invokers.GetOrAdd(ft, Build);

    private static InvokerFn Build(FuncType ft)
    {
        var dm = new DynamicMethod("invoke", typeof(void), [typeof(FunctionInstance), typeof(WasmValue[]), typeof(WasmValue[])], typeof(EntryStubs).Module, true);
        var il = dm.GetILGenerator();
        var res = ft.Results.Length == 1 ? il.DeclareLocal(ClrTypes.Of(ft.Results[0])) : null;
        for (int i = 0; i < ft.Params.Length; i++)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldc_I4, i);
            il.Emit(OpCodes.Ldelema, typeof(WasmValue));
            il.Emit(OpCodes.Call, Getter(ft.Params[i]));
        }
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, ClrTypes.FnCtx);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, ClrTypes.FnEntry);
        il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, ClrTypes.Return(ft), ClrTypes.Params(ft), null);
        if (res != null)
        {
            il.Emit(OpCodes.Stloc, res);
            il.Emit(OpCodes.Ldarg_2);
            il.Emit(OpCodes.Ldc_I4_0);
            il.Emit(OpCodes.Ldloc, res);
            EmitBox(il, ft.Results[0]);
            il.Emit(OpCodes.Stelem, typeof(WasmValue));
        }
        else if (ft.Results.Length > 1)
        {
            var st = il.DeclareLocal(typeof(ExecState));
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, ClrTypes.FnCtx);
            il.Emit(OpCodes.Ldfld, ClrTypes.InstState);
            il.Emit(OpCodes.Stloc, st);
            for (int i = 0; i < ft.Results.Length; i++)
            {
                il.Emit(OpCodes.Ldarg_2);
                il.Emit(OpCodes.Ldc_I4, i);
                FunctionCompiler.LoadScratch(new GeneratorEmitter(il), st, i, ft.Results[i]);
                EmitBox(il, ft.Results[i]);
                il.Emit(OpCodes.Stelem, typeof(WasmValue));
            }
        }
        il.Emit(OpCodes.Ret);
        return dm.CreateDelegate<InvokerFn>();
    }

    /// <summary>Signature of a delegate type in wasm terms (int, long, float, double, Vector128&lt;byte&gt;, object/refs); computed once per type.</summary>
    public static FuncType Signature(Type delegateType) => Signatures.GetOrAdd(delegateType, BuildSignature);

    private static FuncType BuildSignature(Type delegateType)
    {
        var inv = delegateType.GetMethod("Invoke") ?? throw new ArgumentException("not a delegate type");
        static ValType Map(Type t) =>
            t == typeof(int) || t == typeof(uint) ? ValType.I32 :
            t == typeof(long) || t == typeof(ulong) ? ValType.I64 :
            t == typeof(float) ? ValType.F32 :
            t == typeof(double) ? ValType.F64 :
            t == typeof(System.Runtime.Intrinsics.Vector128<byte>) ? ValType.V128 :
            t == typeof(FunctionInstance) ? ValType.FuncRef :
            t == typeof(object) ? ValType.ExternRef :
            throw new ArgumentException($"type {t} cannot cross the wasm boundary");
        var ps = inv.GetParameters().Select(p => p.ParameterType).SkipWhile((t, i) => i == 0 && t == typeof(Instance)).Select(Map).ToArray();
        var rs = inv.ReturnType == typeof(void) ? [] : new[] { Map(inv.ReturnType) };
        return new FuncType(ps, rs);
    }

    /// <summary>
    /// A typed delegate calling <paramref name="f"/>; restores the call depth on return and on traps, unless
    /// <paramref name="f"/> is depth-neutral (<see cref="FunctionInstance.DepthNeutral"/>: then the stub is the
    /// bare call, ~1 ns less per call from the host). The stub depends only on the delegate type, the signature
    /// and neutrality, so it is generated (and JIT-compiled) once per combination and bound to each function as
    /// the delegate's target.
    /// </summary>
    public static TDelegate CreateTyped<TDelegate>(FunctionInstance f) where TDelegate : Delegate
    {
        var sig = Signature(typeof(TDelegate));
        if (!sig.Params.AsSpan().SequenceEqual(f.Type.Params) || sig.Results.Length != f.Type.Results.Length
            || (sig.Results.Length == 1 && ClrTypes.Of(sig.Results[0]) != ClrTypes.Of(f.Type.Results[0])))
            throw new ArgumentException($"delegate {typeof(TDelegate)} does not match signature {f.Type}");
        var stub = TypedStubs.GetOrAdd((typeof(TDelegate), f.Type, f.DepthNeutral), static key => BuildTyped(key.Delegate, key.Target, key.Neutral));
        return (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), f.Code?.AtMachineCode(f) ?? f, stub);
    }

    /// <summary>The typed stub's call: its <paramref name="argc"/> arguments, the function's context, a <c>calli</c> of its entry point.</summary>
    private static void EmitCallTarget(ILGenerator il, int argc, FuncType target)
    {
        for (int i = 0; i < argc; i++) il.Emit(OpCodes.Ldarg, i + 1);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, ClrTypes.FnCtx);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, ClrTypes.FnEntry);
        il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, ClrTypes.Return(target), ClrTypes.Params(target), null);
    }

    /// <summary>
    /// The typed stub: a static method of a collectible assembly of its own, not a <see cref="DynamicMethod"/>: a
    /// delegate's code pointer to a dynamic method is a precode (an indirect jump more per call), while one to a
    /// compiled method of a dynamic assembly is its machine code (<see cref="Finish"/>).
    /// </summary>
    private static MethodInfo BuildTyped(Type delegateType, FuncType target, bool neutral)
    {
        var inv = delegateType.GetMethod("Invoke")!;
        var ps = inv.GetParameters();
        var (tb, dm) = NewStub("PliantWasmExport", "Export", inv.ReturnType, [typeof(FunctionInstance), .. ps.Select(p => p.ParameterType)]);
        var il = dm.GetILGenerator();
        if (neutral)
        {
            // Nothing to restore: the arguments, the context, the entry point, and the call (a tail call where the JIT can).
            EmitCallTarget(il, ps.Length, target);
            il.Emit(OpCodes.Ret);
            return Finish(tb).Method;
        }
        var st = il.DeclareLocal(typeof(ExecState));
        var saved = il.DeclareLocal(typeof(int));
        var res = inv.ReturnType == typeof(void) ? null : il.DeclareLocal(inv.ReturnType);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, ClrTypes.FnCtx);
        il.Emit(OpCodes.Ldfld, ClrTypes.InstState);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Stloc, st);
        il.Emit(OpCodes.Ldfld, ClrTypes.StDepth);
        il.Emit(OpCodes.Stloc, saved);
        il.BeginExceptionBlock();
        EmitCallTarget(il, ps.Length, target);
        if (res != null) il.Emit(OpCodes.Stloc, res);
        il.BeginFinallyBlock();
        il.Emit(OpCodes.Ldloc, st);
        il.Emit(OpCodes.Ldloc, saved);
        il.Emit(OpCodes.Stfld, ClrTypes.StDepth);
        il.EndExceptionBlock();
        if (res != null) il.Emit(OpCodes.Ldloc, res);
        il.Emit(OpCodes.Ret);
        return Finish(tb).Method;
    }

    /// <summary>A public static method <paramref name="name"/> on a new type of a new collectible assembly.</summary>
    private static (TypeBuilder Type, MethodBuilder Method) NewStub(string assembly, string name, Type returnType, Type[] parameters)
    {
        var ab = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName(assembly + Guid.NewGuid().ToString("N")), AssemblyBuilderAccess.RunAndCollect);
        var tb = ab.DefineDynamicModule("stub").DefineType("Stub", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract);
        var mb = tb.DefineMethod(name, MethodAttributes.Public | MethodAttributes.Static, returnType, parameters);
        // Fully optimised at once and never re-tiered: the entry taken after PrepareMethod stays the final code.
        mb.SetImplementationFlags(MethodImplAttributes.AggressiveOptimization);
        return (tb, mb);
    }

    /// <summary>
    /// Creates the stub's type and compiles its one method now, so that its entry point (and the code pointer of a
    /// delegate made from it) is the machine code, not a precode jumping there (<see cref="CodeEntries"/>).
    /// </summary>
    private static (MethodInfo Method, nint Entry) Finish(TypeBuilder tb)
    {
        var mi = tb.CreateType().GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Single();
        System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(mi.MethodHandle);
        return (mi, mi.MethodHandle.GetFunctionPointer());
    }

    /// <summary>
    /// Entry stub for host delegates of type <paramref name="delegateType"/>: a static method
    /// <c>(args..., Instance ctx)</c> that invokes <c>ctx.HostTarget</c> directly (three instructions for an
    /// <c>Action</c>: two loads and a jump to the delegate's code).
    /// </summary>
    public static (MethodInfo Method, nint Entry) HostStub(Type delegateType) => HostStubs.GetOrAdd(delegateType, BuildHostStub);

    /// <summary><c>Unsafe.As&lt;T&gt;(object)</c>: a reinterpretation of a reference the JIT compiles to nothing.</summary>
    private static readonly MethodInfo UnsafeAs = typeof(System.Runtime.CompilerServices.Unsafe).GetMethods()
        .Single(m => m.Name == nameof(System.Runtime.CompilerServices.Unsafe.As) && m.GetGenericArguments().Length == 1 && m.GetParameters().Length == 1);

    private static (MethodInfo, nint) BuildHostStub(Type delegateType)
    {
        var inv = delegateType.GetMethod("Invoke")!;
        var sig = Signature(delegateType);
        var all = inv.GetParameters().Select(p => p.ParameterType).ToArray();
        bool withCaller = all.Length > 0 && all[0] == typeof(Instance);
        var ps = withCaller ? all[1..] : all;
        var (tb, m) = NewStub("PliantWasmHost", "Call", inv.ReturnType == typeof(void) ? typeof(void) : ClrTypes.Of(sig.Results[0]), [.. ps.Select((p, i) => ClrTypes.Of(sig.Params[i])), typeof(Instance)]);
        var il = m.GetILGenerator();
        il.Emit(OpCodes.Ldarg, ps.Length);
        il.Emit(OpCodes.Ldfld, ClrTypes.InstHost);
        // No castclass (a null test, a type compare and a frame for its helper call, 9 of the stub's 12
        // instructions): HostTarget is read-only and HostFunction.Create checked it is a delegateType.
        il.Emit(OpCodes.Call, UnsafeAs.MakeGenericMethod(delegateType));
        if (withCaller)
        {
            il.Emit(OpCodes.Ldarg, ps.Length);
            il.Emit(OpCodes.Ldfld, typeof(Instance).GetField(nameof(Instance.Caller))!);
        }
        for (int i = 0; i < ps.Length; i++)
        {
            il.Emit(OpCodes.Ldarg, i);
            if (ps[i] == typeof(FunctionInstance)) il.Emit(OpCodes.Castclass, typeof(FunctionInstance));
        }
        il.Emit(OpCodes.Callvirt, inv);
        il.Emit(OpCodes.Ret);
        return Finish(tb);
    }
}
