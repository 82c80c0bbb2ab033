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

    /// <summary>For a compiled function: its module's entry points and its index among the module's defined functions (-1 for host functions).</summary>
    internal CodeEntries? Code { get; init; }

    /// <inheritdoc cref="Code"/>
    internal int DefinedIndex { get; init; } = -1;

    /// <summary>True when <see cref="Entry"/> is known to be the machine code (<see cref="CodeEntries.AtMachineCode"/>).</summary>
    internal bool AtMachineCode { get; init; }

    /// <summary>The same function called at <paramref name="entry"/>, its method's machine code.</summary>
    internal FunctionInstance WithMachineCode(nint entry) =>
        new(Type, entry, Context, KeepAlive) { DepthNeutral = DepthNeutral, Code = Code, DefinedIndex = DefinedIndex, AtMachineCode = true };

    /// <summary>True for host functions whose delegate takes the calling <see cref="Instance"/> first.</summary>
    public bool BindsCaller { get; init; }

    /// <summary>A copy of a caller-aware host function bound to the importing instance.</summary>
    internal FunctionInstance BindCaller(Instance caller) =>
        new(Type, Entry, new Instance(Context.State, (Delegate)Context.HostTarget!, caller), KeepAlive);

    /// <summary>Returns the process-wide id of a signature.</summary>
    public static int CanonicalTypeId(FuncType t) => TypeIds.GetOrAdd(t, _ => Interlocked.Increment(ref _nextTypeId));
}
