using System.Reflection;
using System.Reflection.Emit;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Metadata tokens of the runtime's helpers (fields and methods of Pliant.Wasm) in one module being built,
/// each resolved once. <c>ILGenerator.Emit(op, MethodInfo/FieldInfo)</c> asks the runtime for the token on
/// every call (~1.2 µs, a member reference lookup in native metadata), which was most of the compile time:
/// a memory access, a fuel spill or a numeric helper each emit one or two. Emitting the cached token with
/// <c>Emit(op, int)</c> costs what an <c>ldc.i4</c> does.
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal sealed class MemberTokens(ModuleBuilder module)
{
    // By reference: the runtime's reflection objects are cached per member, and their Equals/GetHashCode cost
    // more than the lookup (a second object for the same member would only resolve the same token again).
    private readonly Dictionary<MemberInfo, int> _tokens = new(ReferenceEqualityComparer.Instance);
    // Local signature encodings by type (LocalDeclarer), with this module's token in them.
    private readonly Dictionary<Type, byte[]> _localEncodings = new(ReferenceEqualityComparer.Instance);
    // The generator of the method being compiled and its local signature (LocalDeclarer.SignatureOf). Kept
    // until the next method's: one generator per batch, which its method builder holds anyway.
    private ILGenerator? _signatureOwner;
    private SignatureHelper? _signature;

    /// <summary>
    /// Declares a local of type <paramref name="t"/>: a type of another assembly by its encoding with the token
    /// resolved once per module (<see cref="LocalDeclarer"/>), anything else (or on a runtime where that fails)
    /// by <c>DeclareLocal</c>; where <see cref="LocalDeclarer.Direct"/>, every local (primitives too) by its encoding
    /// without <c>DeclareLocal</c>. The result's <see cref="LocalBuilder.LocalType"/> may read <c>int</c> (not where Direct).
    /// </summary>
    public LocalBuilder DeclareLocal(ILGenerator il, Type t)
    {
        if (!LocalDeclarer.Available || LocalDeclarer.ForceDeclareLocal) return il.DeclareLocal(t);
        bool direct = LocalDeclarer.Direct && !LocalDeclarer.ForceIndirect;
        if (direct && LocalDeclarer.PrimitiveEncoding(t) is { } primitive)
        {
            if (!ReferenceEquals(il, _signatureOwner)) (_signatureOwner, _signature) = (il, LocalDeclarer.SignatureOf(il));
            return _signature != null ? LocalDeclarer.DeclareDirect(il, _signature, primitive, t) : il.DeclareLocal(t);
        }
        if (!LocalDeclarer.Handles(t)) return il.DeclareLocal(t);
        if (!_localEncodings.TryGetValue(t, out var encoding)) _localEncodings[t] = encoding = LocalDeclarer.Encode(t, LocalDeclarer.TokenOf(module, t));
        if (!ReferenceEquals(il, _signatureOwner)) (_signatureOwner, _signature) = (il, LocalDeclarer.SignatureOf(il));
        if (direct && _signature != null) return LocalDeclarer.DeclareDirect(il, _signature, encoding, t);
        return LocalDeclarer.Declare(il, _signature, encoding) ?? il.DeclareLocal(t);
    }

    /// <summary>
    /// Emits <paramref name="op"/> (call) with <paramref name="method"/>. <c>Emit(op, int)</c> counts a call as
    /// moving the IL stack by 0, so the stack depth the generator tracks for maxstack stays at or above the
    /// real one — except for a static call that takes nothing and returns a value (+1), emitted the slow way
    /// (an instance call takes its target: at least as many values in as out).
    /// </summary>
    public void Emit(ILGenerator il, OpCode op, MethodInfo method)
    {
        int slot = RecentSlot(method);
        int token;
        if (ReferenceEquals(_recent[slot], method)) token = _recentTokens[slot];
        else
        {
            if (!_tokens.TryGetValue(method, out token))
            {
                token = method.IsStatic && method.GetParameters().Length == 0 && method.ReturnType != typeof(void) ? 0 : module.GetMethodMetadataToken(method);
                _tokens[method] = token;
            }
            (_recent[slot], _recentTokens[slot]) = (method, token);
        }
        if (token == 0) il.Emit(op, method);
        else il.Emit(op, token);
    }

    /// <summary>Emits a field instruction (ldfld, stfld, ldsfld: fixed stack effects, tracked exactly).</summary>
    public void Emit(ILGenerator il, OpCode op, FieldInfo field)
    {
        int slot = RecentSlot(field);
        int token;
        if (ReferenceEquals(_recent[slot], field)) token = _recentTokens[slot];
        else
        {
            if (!_tokens.TryGetValue(field, out token)) _tokens[field] = token = module.GetFieldMetadataToken(field);
            (_recent[slot], _recentTokens[slot]) = (field, token);
        }
        il.Emit(op, token);
    }

    // In front of the dictionary, a direct-mapped table by identity hash: a module's IL uses a few dozen
    // members thousands of times, and a hit costs one array read instead of the dictionary's comparer calls.
    private const int RecentSize = 128;
    private readonly MemberInfo?[] _recent = new MemberInfo?[RecentSize];
    private readonly int[] _recentTokens = new int[RecentSize];

    private static int RecentSlot(MemberInfo member) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(member) & (RecentSize - 1);
}
