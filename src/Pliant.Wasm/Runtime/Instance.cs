using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Runtime;

/// <summary>
/// A module instance: the runtime state generated code reads through its public fields
/// (functions, tables, memory, globals, segments) plus the export API for hosts.
/// </summary>
public sealed class Instance
{
#pragma warning disable CS1591
    public ExecState State;
    public Memory? Memory0;
    public Table[] Tables = [];
    public Global[] Globals = [];
    public FunctionInstance[] Functions = [];
    public byte[][] Datas = [];
    public object?[][] Elems = [];
    /// <summary>
    /// For host functions: the delegate the stub calls. Read-only, and checked against the stub's delegate type
    /// when the host function is created (<see cref="HostFunction.Create(System.Type, System.Delegate)"/>): the
    /// stub reads it without a type check (<see cref="Compilation.EntryStubs.HostStub"/>).
    /// </summary>
    public readonly object? HostTarget;
    /// <summary>For host functions taking the caller: the importing instance.</summary>
    public readonly Instance? Caller;
#pragma warning restore CS1591

    internal Instance(ExecState state) => State = state;

    /// <summary>The context of a host function: its delegate (of the stub's delegate type) and, for one taking the caller, the importing instance.</summary>
    internal Instance(ExecState state, Delegate hostTarget, Instance? caller)
    {
        State = state;
        HostTarget = hostTarget;
        Caller = caller;
    }

    /// <summary>True for an instance of a module compiled with <see cref="WasmLimits.MeterFuel"/> false.</summary>
    internal bool Unmetered;

    /// <summary>
    /// Remaining fuel of this instance's execution state (shared with instances linked through the
    /// same <see cref="ExecState"/>). Set it before calling typed exports; <see cref="Invoke(string, WasmValue[], long?)"/>
    /// takes a per-call value instead. Setting it throws <see cref="InvalidOperationException"/> for an
    /// instance of a module compiled without fuel metering (<see cref="WasmLimits.MeterFuel"/>).
    /// </summary>
    public long Fuel
    {
        get => State.Fuel;
        set
        {
            if (Unmetered) throw UnmeteredFuel();
            State.Fuel = value;
        }
    }

    private static InvalidOperationException UnmeteredFuel() =>
        new("this module was compiled without fuel metering (WasmLimits.MeterFuel = false): a fuel limit cannot be enforced");

    /// <summary>Exports by name: <see cref="FunctionInstance"/>, <see cref="Table"/>, <see cref="Memory"/> or <see cref="Global"/>.</summary>
    public Dictionary<string, object> Exports { get; } = new(StringComparer.Ordinal);

    /// <summary>The exported memory named <paramref name="name"/> (default: the first exported memory).</summary>
    public Memory GetMemory(string? name = null)
    {
        if (name != null) return Exports.TryGetValue(name, out var m) && m is Memory mm ? mm : throw new KeyNotFoundException(name);
        return Memory0 ?? throw new InvalidOperationException("instance has no memory");
    }

    /// <summary>The exported function named <paramref name="name"/>.</summary>
    public FunctionInstance GetExportedFunction(string name) =>
        Exports.TryGetValue(name, out var f) && f is FunctionInstance fi ? fi : throw new KeyNotFoundException($"no exported function {name}");

    /// <summary>The exported global named <paramref name="name"/>.</summary>
    public Global GetGlobal(string name) =>
        Exports.TryGetValue(name, out var g) && g is Global gg ? gg : throw new KeyNotFoundException($"no exported global {name}");

    /// <summary>
    /// Returns a typed delegate (e.g. <c>Func&lt;int,int,int&gt;</c>) calling the export directly.
    /// Parameter and return types must match the signature (int, long, float, double, object).
    /// </summary>
    public TDelegate GetFunction<TDelegate>(string name) where TDelegate : Delegate =>
        Compilation.EntryStubs.CreateTyped<TDelegate>(GetExportedFunction(name));

    /// <summary>Calls an export with untyped values. <paramref name="fuel"/> limits the call (null = unlimited).</summary>
    public WasmValue[] Invoke(string name, WasmValue[] args, long? fuel = null) => Invoke(GetExportedFunction(name), args, fuel);

    /// <summary>Calls a function with untyped values. Traps surface as <see cref="WasmTrapException"/>.</summary>
    public static WasmValue[] Invoke(FunctionInstance f, WasmValue[] args, long? fuel = null)
    {
        var t = f.Type;
        if (args.Length != t.Params.Length) throw new ArgumentException("wrong number of arguments");
        for (int i = 0; i < args.Length; i++)
            if (args[i].Type != t.Params[i]) throw new ArgumentException($"argument {i} has type {args[i].Type.Name()}, expected {t.Params[i].Name()}");
        if (fuel.HasValue && f.Context.Unmetered) throw UnmeteredFuel();
        var st = f.Context.State;
        int depth = st.Depth;
        long savedFuel = st.Fuel;
        if (fuel.HasValue) st.Fuel = fuel.Value;
        var results = new WasmValue[t.Results.Length];
        try
        {
            Compilation.EntryStubs.Invoker(t)(f, args, results);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new WasmTrapException("call stack exhausted");
        }
        finally
        {
            st.Depth = depth;
            if (fuel.HasValue) st.Fuel = savedFuel;
        }
        return results;
    }
}
