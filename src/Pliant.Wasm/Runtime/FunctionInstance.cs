using System.Collections.Concurrent;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Runtime;

/// <summary>
/// A function value (funcref): a managed entry point taking the wasm parameters followed by the
/// owning <see cref="Instance"/>, called with <c>calli</c>.
/// </summary>
public sealed class FunctionInstance
{
    private static readonly ConcurrentDictionary<FuncType, int> TypeIds = new();
    private static int _nextTypeId;

    /// <summary>Creates a function value.</summary>
    public FunctionInstance(FuncType type, nint entry, Instance context, object keepAlive)
    {
        Type = type;
        TypeId = CanonicalTypeId(type);
        Entry = entry;
        Context = context;
        KeepAlive = keepAlive;
    }

    /// <summary>Signature.</summary>
    public FuncType Type { get; }

    /// <summary>Process-wide id of the signature; equal ids mean equal signatures.</summary>
    public readonly int TypeId;

    /// <summary>Entry point (managed function pointer).</summary>
    public readonly nint Entry;

    /// <summary>Instance passed as the last argument.</summary>
    public readonly Instance Context;

    /// <summary>Keeps the (collectible) code alive while this function is reachable.</summary>
    public object KeepAlive { get; }

    /// <summary>
    /// A compiled function that never changes the call depth, even when it traps (it does not count depth and
    /// calls only such functions): its typed delegates call it with no depth to save and restore.
    /// </summary>
    internal bool DepthNeutral { get; init; }

    /// <summary>
    /// For a compiled function: its index in its module's function space, so its method is the code holder's
    /// <c>"f" + index</c> (<see cref="Compilation.EntryStubs.WithMachineCode"/>); -1 for host functions.
    /// </summary>
    internal int MethodIndex { get; init; } = -1;

    /// <summary>The same function called at <paramref name="entry"/> (the machine code of the method <see cref="Entry"/> leads to).</summary>
    internal FunctionInstance WithEntry(nint entry) =>
        new(Type, entry, Context, KeepAlive) { DepthNeutral = DepthNeutral, MethodIndex = MethodIndex };

    /// <summary>True for host functions whose delegate takes the calling <see cref="Instance"/> first.</summary>
    public bool BindsCaller { get; init; }

    /// <summary>A copy of a caller-aware host function bound to the importing instance.</summary>
    internal FunctionInstance BindCaller(Instance caller) =>
        new(Type, Entry, new Instance(Context.State, (Delegate)Context.HostTarget!, caller), KeepAlive);

    /// <summary>Returns the process-wide id of a signature.</summary>
    public static int CanonicalTypeId(FuncType t) => TypeIds.GetOrAdd(t, _ => Interlocked.Increment(ref _nextTypeId));
}
