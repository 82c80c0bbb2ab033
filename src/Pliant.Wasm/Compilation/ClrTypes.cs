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
        _ => typeof(object),
    };

    public static Type Return(FuncType ft) => ft.Results.Length == 1 ? Of(ft.Results[0]) : typeof(void);

    public static Type[] Params(FuncType ft)
    {
        var p = new Type[ft.Params.Length + 1];
        for (int i = 0; i < ft.Params.Length; i++) p[i] = Of(ft.Params[i]);
        p[^1] = typeof(Instance);
        return p;
    }

    public static readonly FieldInfo InstState = typeof(Instance).GetField(nameof(Instance.State))!;
    public static readonly FieldInfo InstMemory = typeof(Instance).GetField(nameof(Instance.Memory0))!;
    public static readonly FieldInfo InstTables = typeof(Instance).GetField(nameof(Instance.Tables))!;
    public static readonly FieldInfo InstGlobals = typeof(Instance).GetField(nameof(Instance.Globals))!;
    public static readonly FieldInfo InstFunctions = typeof(Instance).GetField(nameof(Instance.Functions))!;
    public static readonly FieldInfo InstHost = typeof(Instance).GetField(nameof(Instance.HostTarget))!;
    public static readonly FieldInfo MemBuffer = typeof(Memory).GetField(nameof(Memory.Buffer))!;
    public static readonly MethodInfo MemPages = typeof(Memory).GetProperty(nameof(Memory.Pages))!.GetMethod!;
    public static readonly MethodInfo MemGrow = typeof(Memory).GetMethod(nameof(Memory.Grow))!;
    public static readonly FieldInfo FnCtx = typeof(FunctionInstance).GetField(nameof(FunctionInstance.Context))!;
    public static readonly FieldInfo FnEntry = typeof(FunctionInstance).GetField(nameof(FunctionInstance.Entry))!;
    public static readonly FieldInfo StDepth = typeof(ExecState).GetField(nameof(ExecState.Depth))!;
    public static readonly FieldInfo StBits = typeof(ExecState).GetField(nameof(ExecState.ResultBits))!;
    public static readonly FieldInfo StRefs = typeof(ExecState).GetField(nameof(ExecState.ResultRefs))!;
    public static readonly MethodInfo StEnter = typeof(ExecState).GetMethod(nameof(ExecState.Enter))!;
    public static readonly MethodInfo StCheckStack = typeof(ExecState).GetMethod(nameof(ExecState.CheckStack))!;
    public static readonly MethodInfo StTick = typeof(ExecState).GetMethod(nameof(ExecState.Tick))!;

    public static FieldInfo GlobalField(ValType t) => typeof(Global).GetField(t switch
    {
        ValType.I32 => nameof(Global.I32),
        ValType.I64 => nameof(Global.I64),
        ValType.F32 => nameof(Global.F32),
        ValType.F64 => nameof(Global.F64),
        _ => nameof(Global.Ref),
    })!;

    public static MethodInfo Numeric(string name) =>
        typeof(Numerics).GetMethod(name) ?? throw new InvalidOperationException("missing helper " + name);

    public static MethodInfo Mem(string name) =>
        typeof(Memory).GetMethod(name) ?? throw new InvalidOperationException("missing helper " + name);

    public static MethodInfo Op(string name) =>
        typeof(Ops).GetMethod(name) ?? throw new InvalidOperationException("missing helper " + name);

    public static MethodInfo TrapM(string name) =>
        typeof(Trap).GetMethod(name) ?? throw new InvalidOperationException("missing helper " + name);
}
