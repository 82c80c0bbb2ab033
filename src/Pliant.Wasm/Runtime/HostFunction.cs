using System.Collections.Concurrent;
using Pliant.Wasm.Compilation;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Runtime;

/// <summary>Creates host functions that wasm modules can import and call directly.</summary>
public static class HostFunction
{
    /// <summary>
    /// Wraps a typed delegate (e.g. <c>Func&lt;int,int,int&gt;</c>, <c>Action&lt;long&gt;</c>) as a function value.
    /// Parameters/returns: int/uint (i32), long/ulong (i64), float, double, object (externref), FunctionInstance (funcref).
    /// A first parameter of type <see cref="Instance"/> receives the importing instance (e.g. to read its memory).
    /// </summary>
    public static FunctionInstance Create<TDelegate>(TDelegate target) where TDelegate : Delegate => Create(typeof(TDelegate), target);

    /// <summary>Non-generic form of <see cref="Create{TDelegate}(TDelegate)"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="target"/> is not a <paramref name="delegateType"/>, or that type cannot cross the wasm boundary.</exception>
    public static FunctionInstance Create(Type delegateType, Delegate target)
    {
        ArgumentNullException.ThrowIfNull(target);
        // The stub calls the target as a delegateType without checking its type again (EntryStubs.HostStub).
        if (!delegateType.IsInstanceOfType(target))
            throw new ArgumentException($"the target is a {target.GetType()}, not a {delegateType}", nameof(target));
        FuncType sig = EntryStubs.Signature(delegateType);
        var (method, entry) = EntryStubs.HostStub(delegateType);
        var ctx = new Instance(new ExecState(), target, null);
        return new FunctionInstance(sig, entry, ctx, method) { BindsCaller = BindsCaller.GetOrAdd(delegateType, TakesCaller) };
    }

    private static readonly ConcurrentDictionary<Type, bool> BindsCaller = new();

    private static bool TakesCaller(Type delegateType)
    {
        var ps = delegateType.GetMethod("Invoke")!.GetParameters();
        return ps.Length > 0 && ps[0].ParameterType == typeof(Instance);
    }
}
