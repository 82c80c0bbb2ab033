using System.Reflection;
using System.Reflection.Emit;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Metadata tokens of what the compiled code references in one module being built (the runtime's helper fields
/// and methods, the types of locals and <c>stelem</c>/<c>ldelem</c>, <c>calli</c> signatures), each resolved once
/// per batch: asking the module costs a native metadata lookup (~1-2 µs for a member reference), and a module's IL
/// uses a few dozen members thousands of times. <see cref="IlWriter"/> writes the cached tokens.
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal sealed class MemberTokens(ModuleBuilder module)
{
    // By reference: the runtime's reflection objects are cached per member, and their Equals/GetHashCode cost
    // more than the lookup (a second object for the same member would only resolve the same token again).
    private readonly Dictionary<MemberInfo, (int Token, int Delta)> _tokens = new(ReferenceEqualityComparer.Instance);
    // Local signature encodings by type (LocalDeclarer), with this module's tokens in them.
    private readonly Dictionary<Type, byte[]> _localEncodings = new(ReferenceEqualityComparer.Instance);
    // calli signatures by wasm function type (structural equality: one token per distinct signature).
    private readonly Dictionary<FuncType, int> _calliTokens = [];

    /// <summary>
    /// Emits <paramref name="op"/> (call) with runtime helper <paramref name="method"/>, counted on the IL stack
    /// as <see cref="IlWriter.EmitHelperCall"/> says.
    /// </summary>
    public void Emit(IlWriter il, OpCode op, MethodInfo method) => il.EmitHelperCall(op, method);

    /// <summary>Emits a field instruction (ldfld, stfld, ldsfld: fixed stack effects, tracked exactly).</summary>
    public void Emit(IlWriter il, OpCode op, FieldInfo field) => il.Emit(op, field);

    /// <summary>
    /// The token of runtime method <paramref name="method"/> and its exact effect on the IL stack when called
    /// (+1 for a result, -1 per parameter and for an instance's target; ECMA-335 III.3.19).
    /// </summary>
    public (int Token, int Delta) MethodToken(MethodInfo method)
    {
        int slot = RecentSlot(method);
        if (ReferenceEquals(_recent[slot], method)) return _recentTokens[slot];
        if (!_tokens.TryGetValue(method, out var entry))
        {
            int delta = (method.ReturnType != typeof(void) ? 1 : 0) - method.GetParameters().Length - (method.IsStatic ? 0 : 1);
            _tokens[method] = entry = (module.GetMethodMetadataToken(method), delta);
        }
        (_recent[slot], _recentTokens[slot]) = (method, entry);
        return entry;
    }

    /// <summary>The token of <paramref name="field"/>.</summary>
    public int FieldToken(FieldInfo field)
    {
        int slot = RecentSlot(field);
        if (ReferenceEquals(_recent[slot], field)) return _recentTokens[slot].Token;
        if (!_tokens.TryGetValue(field, out var entry)) _tokens[field] = entry = (module.GetFieldMetadataToken(field), 0);
        (_recent[slot], _recentTokens[slot]) = (field, entry);
        return entry.Token;
    }

    /// <summary>The token of <paramref name="type"/> (a TypeRef, TypeDef or TypeSpec of this module).</summary>
    public int TypeToken(Type type)
    {
        if (!_tokens.TryGetValue(type, out var entry)) _tokens[type] = entry = (module.GetTypeMetadataToken(type), 0);
        return entry.Token;
    }

    /// <summary>The StandAloneSig token of the <c>calli</c> signature of a wasm function's method of type <paramref name="ft"/> (default calling convention).</summary>
    public int CalliToken(FuncType ft)
    {
        if (!_calliTokens.TryGetValue(ft, out int token))
        {
            var sig = SignatureHelper.GetMethodSigHelper(module, CallingConventions.Standard, ClrTypes.Return(ft));
            sig.AddArguments(ClrTypes.Params(ft), null, null);
            _calliTokens[ft] = token = module.GetSignatureMetadataToken(sig);
        }
        return token;
    }

    /// <summary>The local signature entry of type <paramref name="t"/> (<see cref="LocalDeclarer.Encode(Type, Func{Type, int})"/>).</summary>
    public byte[] LocalEncoding(Type t)
    {
        if (LocalDeclarer.PrimitiveEncoding(t) is { } primitive) return primitive;
        if (!_localEncodings.TryGetValue(t, out var encoding)) _localEncodings[t] = encoding = LocalDeclarer.Encode(t, x => LocalDeclarer.TokenOf(module, x));
        return encoding;
    }

    // In front of the dictionary, a direct-mapped table by where the member's object is: a hit costs one array read
    // instead of the dictionary's comparer calls, and the slot a multiply instead of a call for the identity hash.
    // Only a hint: a hit is an identity match, and an object the GC moved lands in another slot (a miss: the
    // dictionary answers and the entry moves with it).
    private const int RecentBits = 7, RecentSize = 1 << RecentBits;
    private readonly MemberInfo?[] _recent = new MemberInfo?[RecentSize];
    private readonly (int Token, int Delta)[] _recentTokens = new (int, int)[RecentSize];

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int RecentSlot(MemberInfo member) =>
        (int)((ulong)System.Runtime.CompilerServices.Unsafe.As<MemberInfo, nint>(ref member) * 0x9E3779B97F4A7C15UL >> (64 - RecentBits));
}
