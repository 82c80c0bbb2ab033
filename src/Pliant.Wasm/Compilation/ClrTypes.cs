using System.Reflection;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

/// <summary>Mapping of wasm types to CLR types and reflection handles used by the emitters.</summary>
internal static class ClrTypes
{
    public static Type Of(ValType t) => t switch
    {
        ValType.I32 => typeof(int),
        ValType.I64 => typeof(long),
        ValType.F32 => typeof(float),
        ValType.F64 => typeof(double),
        ValType.V128 => typeof(System.Runtime.Intrinsics.Vector128<byte>),
        _ => typeof(object),
    };

    public static Type Return(FuncType ft) => ft.Results.Length == 1 ? Of(ft.Results[0]) : typeof(void);

    /// <summary>
    /// The parameters of a compiled function of type <paramref name="ft"/>: its wasm parameters, then its context,
    /// an <see cref="Instance"/> declared as <c>object</c>. Same calling convention, and the JIT reads fields and
    /// calls methods through the tokens of the instructions, not the argument's declared class (the generated x64 is
    /// unchanged); but a signature naming a type of another assembly costs a TypeRef lookup in native metadata each
    /// time it is encoded (~1.2 µs: every compiled method, every <c>calli</c> site), <c>object</c> nothing.
    /// </summary>
    public static Type[] Params(FuncType ft)
    {
        var p = new Type[ft.Params.Length + 1];
        for (int i = 0; i < ft.Params.Length; i++) p[i] = Of(ft.Params[i]);
        p[^1] = typeof(object);
        return p;
    }

    public static readonly FieldInfo InstState = typeof(Instance).GetField(nameof(Instance.State))!;
    public static readonly FieldInfo InstMemory = typeof(Instance).GetField(nameof(Instance.Memory0))!;
    public static readonly FieldInfo InstTables = typeof(Instance).GetField(nameof(Instance.Tables))!;
    public static readonly FieldInfo InstGlobals = typeof(Instance).GetField(nameof(Instance.Globals))!;
    public static readonly FieldInfo InstFunctions = typeof(Instance).GetField(nameof(Instance.Functions))!;
    public static readonly FieldInfo InstHost = typeof(Instance).GetField(nameof(Instance.HostTarget))!;
    public static readonly FieldInfo MemBuffer = typeof(Memory).GetField(nameof(Memory.Buffer))!;
    public static readonly MethodInfo MemData = typeof(Memory).GetMethod(nameof(Memory.Data))!;
    public static readonly MethodInfo MemPages = typeof(Memory).GetProperty(nameof(Memory.Pages))!.GetMethod!;
    public static readonly MethodInfo MemGrow = typeof(Memory).GetMethod(nameof(Memory.Grow))!;
    public static readonly FieldInfo FnCtx = typeof(FunctionInstance).GetField(nameof(FunctionInstance.Context))!;
    public static readonly FieldInfo FnEntry = typeof(FunctionInstance).GetField(nameof(FunctionInstance.Entry))!;
    public static readonly FieldInfo StFuel = typeof(ExecState).GetField(nameof(ExecState.Fuel))!;

    /// <summary>Return type of the fuel-passing body of a function with results <paramref name="ft"/> (a FuelResult struct): the fuel alone without a result.</summary>
    public static Type FuelReturn(FuncType ft) => ft.Results.Length == 1 ? FuelResultOf(ft.Results[0]).Type : typeof(long);

    /// <summary>The FuelResult struct for a result of type <paramref name="t"/> (not v128) and its two fields, looked up once.</summary>
    public static (Type Type, FieldInfo Value, FieldInfo Fuel) FuelResultOf(ValType t) => t switch
    {
        ValType.I32 => FuelResultI32,
        ValType.I64 => FuelResultI64,
        ValType.F32 => FuelResultF32,
        ValType.F64 => FuelResultF64,
        _ => FuelResultRef,
    };

    private static readonly (Type, FieldInfo, FieldInfo) FuelResultI32 = FuelResultFor(typeof(Runtime.FuelResultI32)),
        FuelResultI64 = FuelResultFor(typeof(Runtime.FuelResultI64)), FuelResultF32 = FuelResultFor(typeof(Runtime.FuelResultF32)),
        FuelResultF64 = FuelResultFor(typeof(Runtime.FuelResultF64)), FuelResultRef = FuelResultFor(typeof(Runtime.FuelResultRef));

    /// <summary>Whether <paramref name="t"/> is one of the FuelResult structs (16 bytes: two frame slots).</summary>
    /// <remarks>Against <c>typeof</c> constants, which the JIT compares as type handles (asked for every local declared).</remarks>
    public static bool IsFuelResult(Type t) => t == typeof(Runtime.FuelResultI32) || t == typeof(Runtime.FuelResultI64) || t == typeof(Runtime.FuelResultF32)
        || t == typeof(Runtime.FuelResultF64) || t == typeof(Runtime.FuelResultRef);

    private static (Type, FieldInfo, FieldInfo) FuelResultFor(Type t) => (t, t.GetField("Value")!, t.GetField("Fuel")!);

    /// <summary>Parameters of the fuel-passing body: the function's, the instance, the fuel, the caller's call depth.</summary>
    public static Type[] FuelParams(FuncType ft) => [.. Params(ft), typeof(long), typeof(int)];
    public static readonly FieldInfo StDepth = typeof(ExecState).GetField(nameof(ExecState.Depth))!;
    public static readonly FieldInfo StBits = typeof(ExecState).GetField(nameof(ExecState.ResultBits))!;
    public static readonly FieldInfo StRefs = typeof(ExecState).GetField(nameof(ExecState.ResultRefs))!;
    public static readonly FieldInfo StVecs = typeof(ExecState).GetField(nameof(ExecState.ResultVecs))!;
    public static readonly MethodInfo StEnter = typeof(ExecState).GetMethod(nameof(ExecState.Enter))!;
    public static readonly MethodInfo StEnterCounting = typeof(ExecState).GetMethod(nameof(ExecState.EnterCounting))!;
    public static readonly MethodInfo StEnterInlined = typeof(ExecState).GetMethod(nameof(ExecState.EnterInlined))!;
    public static readonly MethodInfo StCheckDepth = typeof(ExecState).GetMethod(nameof(ExecState.CheckDepth))!;
    public static readonly MethodInfo StCheckRoom = typeof(ExecState).GetMethod(nameof(ExecState.CheckRoom))!;
    public static readonly FieldInfo StMaxDepth = typeof(ExecState).GetField(nameof(ExecState.MaxDepth))!;
    public static readonly MethodInfo StCheckStack = typeof(ExecState).GetMethod(nameof(ExecState.CheckStack))!;
    public static readonly MethodInfo StCharge = typeof(ExecState).GetMethod(nameof(ExecState.Charge))!;
    public static readonly MethodInfo StOutOfFuel = typeof(ExecState).GetMethod(nameof(ExecState.OutOfFuel))!;

    public static FieldInfo GlobalField(ValType t) => GlobalFields[t switch
    {
        ValType.I32 => 0,
        ValType.I64 => 1,
        ValType.F32 => 2,
        ValType.F64 => 3,
        ValType.V128 => 5,
        _ => 4,
    }];

    /// <summary>
    /// The helper methods of one runtime class by name, looked up once each. One table per class, keyed by the
    /// name alone: a (type, name) tuple key hashed the name with the randomized string hash on every lookup,
    /// ~2 % of a module's compile time (a numeric, memory or SIMD helper is looked up per instruction using it).
    /// </summary>
    private sealed class HelperTable(Type type)
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, MethodInfo> _methods = new(StringComparer.Ordinal);

        public MethodInfo this[string name] => _methods.TryGetValue(name, out var m) ? m : Add(name);

        private MethodInfo Add(string name) =>
            _methods.GetOrAdd(name, type.GetMethod(name) ?? throw new InvalidOperationException("missing helper " + name));
    }

    private static readonly HelperTable NumericHelpers = new(typeof(Numerics)), MemHelpers = new(typeof(Memory)), OpHelpers = new(typeof(Ops)),
        SimdHelpers = new(typeof(V128Ops)), TrapHelpers = new(typeof(Trap)), FloatConstHelpers = new(typeof(FloatConstants));

    public static MethodInfo Numeric(string name) => NumericHelpers[name];

    public static MethodInfo Mem(string name) => MemHelpers[name];

    public static MethodInfo Op(string name) => OpHelpers[name];

    public static MethodInfo Simd(string name) => SimdHelpers[name];

    public static MethodInfo TrapM(string name) => TrapHelpers[name];

    public static MethodInfo FloatConst(string name) => FloatConstHelpers[name];

    private static readonly FieldInfo[] GlobalFields =
    [
        typeof(Global).GetField(nameof(Global.I32))!, typeof(Global).GetField(nameof(Global.I64))!,
        typeof(Global).GetField(nameof(Global.F32))!, typeof(Global).GetField(nameof(Global.F64))!,
        typeof(Global).GetField(nameof(Global.Ref))!, typeof(Global).GetField(nameof(Global.V128))!,
    ];
}
