using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Declares IL locals of types from other assemblies (<c>Vector128&lt;byte&gt;</c>, <c>ExecState</c>,
/// <c>FunctionInstance</c>, the <c>FuelResult</c> structs) without .NET's per-call metadata lookup.
/// </summary>
/// <remarks>
/// <c>ILGenerator.DeclareLocal(t)</c> appends <c>t</c> to the method's local signature; for a type of another
/// assembly that asks the runtime for its TypeRef token on every call (a native metadata lookup: 1.7 µs for a
/// class, 2.2 µs for <c>Vector128&lt;byte&gt;</c>, against 0.07 µs for <c>int</c>), which was a fifth of a SIMD
/// module's compile (51 v128 locals in workloads-simd.wasm). Here the token is asked once per shared module
/// (<see cref="MemberTokens"/>) and the local is declared as an <c>int</c> whose one signature byte
/// (<c>ELEMENT_TYPE_I4</c>) is then replaced by the type's encoding (ECMA-335 II.23.2.12 Type:
/// <c>CLASS TypeDefOrRefOrSpecEncoded</c>, <c>VALUETYPE TypeDefOrRefOrSpecEncoded</c>, <c>GENERICINST VALUETYPE TypeDefOrRefOrSpecEncoded GenArgCount Type</c>).
/// Reflection.Emit has no public way to add pre-encoded signature bytes, so this writes two private fields of
/// <see cref="SignatureHelper"/> and reads one of the runtime's ILGenerator; <see cref="Available"/> checks
/// once per process, on a throwaway method, that the result reads back as the declared types, and every
/// declaration checks the byte it replaces — else the ordinary <c>DeclareLocal</c> is used.
/// The <see cref="LocalBuilder.LocalType"/> of a local declared here reads <c>int</c>: callers keep the type.
/// </remarks>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal static class LocalDeclarer
{
    private const byte ElementTypeI4 = 0x08, ElementTypeU1 = 0x05, ElementTypeClass = 0x12, ElementTypeValueType = 0x11, ElementTypeGenericInst = 0x15;

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_signature")]
    private static extern ref byte[] SignatureBytes(SignatureHelper helper);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_currSig")]
    private static extern ref int SignatureLength(SignatureHelper helper);

    private static readonly FieldInfo? LocalSignatureField =
        Type.GetType("System.Reflection.Emit.RuntimeILGenerator")?.GetField("m_localSignature", BindingFlags.NonPublic | BindingFlags.Instance);

    private static readonly Type ByteRef = typeof(byte).MakeByRefType();

    // The generator's local count and method, and the local's constructor (internal types of System.Private.CoreLib),
    // for Direct: what DeclareLocal does after its checks and the signature's type lookup.
    private const string GeneratorType = "System.Reflection.Emit.RuntimeILGenerator, System.Private.CoreLib";
    private const string LocalType = "System.Reflection.Emit.RuntimeLocalBuilder, System.Private.CoreLib";

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_localCount")]
    private static extern ref int LocalCount([UnsafeAccessorType(GeneratorType)] object il);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_methodBuilder")]
    private static extern ref MethodInfo GeneratorMethod([UnsafeAccessorType(GeneratorType)] object il);

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(LocalType)]
    private static extern object NewLocal(int localIndex, Type localType, MethodInfo methodBuilder, bool isPinned);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_argCount")]
    private static extern ref int ArgumentCount(SignatureHelper helper);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "m_sizeLoc")]
    private static extern ref int SizeLocation(SignatureHelper helper);

    // Before Available and Direct: static fields are initialised in order, and the probes use these.
    private static readonly byte[] EncodingI4 = [0x08], EncodingI8 = [0x0A], EncodingR4 = [0x0C], EncodingR8 = [0x0D], EncodingU = [0x19],
        EncodingObject = [0x1C], EncodingBytes = [0x1D, ElementTypeU1], EncodingByteRef = [0x10, ElementTypeU1];

    /// <summary>Whether the fast path works on this runtime (checked once on a throwaway method).</summary>
    public static readonly bool Available = Probe();

    /// <summary>
    /// Whether <see cref="DeclareDirect"/> works on this runtime (checked once, after <see cref="Available"/>, on a
    /// throwaway method): every local of a compiled function, primitives included, without <c>DeclareLocal</c>.
    /// </summary>
    public static readonly bool Direct = Available && ProbeDirect();

    /// <summary>Signature encodings of the primitive and array types the compiler declares (ECMA-335 II.23.1.16, II.23.2.12).</summary>
    public static byte[]? PrimitiveEncoding(Type t) =>
        t == typeof(int) ? EncodingI4 : t == typeof(long) ? EncodingI8 : t == typeof(float) ? EncodingR4 : t == typeof(double) ? EncodingR8
        : t == typeof(nuint) ? EncodingU : t == typeof(object) ? EncodingObject : t == typeof(byte[]) ? EncodingBytes : t == ByteRef ? EncodingByteRef : null;


    /// <summary>
    /// Declares a local of type <paramref name="t"/> whose signature entry is <paramref name="encoding"/> in
    /// <paramref name="signature"/> (<paramref name="il"/>'s, from <see cref="SignatureOf"/>): appends the bytes,
    /// counts the local in the signature and the generator, and makes its builder — what <c>DeclareLocal</c> does,
    /// without its type lookups (~60 ns a local, ~300 locals in a 4 KiB module). Only where <see cref="Direct"/>.
    /// </summary>
    public static LocalBuilder DeclareDirect(ILGenerator il, SignatureHelper signature, byte[] encoding, Type t)
    {
        ref var bytes = ref SignatureBytes(signature);
        ref int length = ref SignatureLength(signature);
        if (length + encoding.Length > bytes.Length) Array.Resize(ref bytes, Math.Max(bytes.Length * 2, length + encoding.Length + 8));
        encoding.CopyTo(bytes, length);
        length += encoding.Length;
        if (SizeLocation(signature) != -1) ArgumentCount(signature)++; // SignatureHelper.IncrementArgCounts
        int index = LocalCount(il)++;
        return (LocalBuilder)NewLocal(index, t, GeneratorMethod(il), false);
    }

    /// <summary>Tests: this thread declares every local by <c>DeclareLocal</c> (the path taken where <see cref="Available"/> is false).</summary>
    [ThreadStatic] internal static bool ForceDeclareLocal;

    /// <summary>Tests: this thread declares by <see cref="Declare(ILGenerator, SignatureHelper, byte[])"/> where <see cref="Direct"/> would (the path taken where it is false).</summary>
    [ThreadStatic] internal static bool ForceIndirect;

    /// <summary>Whether <see cref="Declare(ILGenerator, SignatureHelper, byte[])"/> can declare <paramref name="t"/> by its encoding.</summary>
    public static bool Handles(Type t) => t == typeof(Vector128<byte>) || ClrTypes.IsFuelResult(t) || (t.IsClass && !t.HasElementType && t != typeof(object) && t != typeof(string) && !t.IsGenericType);

    /// <summary>The signature bytes of <paramref name="t"/> (one of <see cref="Handles"/>) given its TypeRef/TypeDef <paramref name="token"/> (of the generic definition for <c>Vector128&lt;byte&gt;</c>).</summary>
    public static byte[] Encode(Type t, int token)
    {
        var coded = CodedToken(token);
        if (t == typeof(Vector128<byte>)) return [ElementTypeGenericInst, ElementTypeValueType, .. coded, 1, ElementTypeU1];
        return [t.IsValueType ? ElementTypeValueType : ElementTypeClass, .. coded];
    }

    /// <summary>The token <see cref="Encode"/> needs for <paramref name="t"/>, from <paramref name="module"/>.</summary>
    public static int TokenOf(ModuleBuilder module, Type t) => module.GetTypeMetadataToken(t.IsGenericType ? t.GetGenericTypeDefinition() : t);

    /// <summary>
    /// Declares a local whose signature entry is <paramref name="encoding"/>; null when this runtime's generator
    /// does not have the expected layout (the caller then declares it the ordinary way; an unused <c>int</c>
    /// local may be left behind, which costs nothing).
    /// </summary>
    public static LocalBuilder? Declare(ILGenerator il, byte[] encoding) => Declare(il, SignatureOf(il), encoding);

    /// <summary>
    /// <see cref="Declare(ILGenerator, byte[])"/> with <paramref name="il"/>'s local signature already read by
    /// <see cref="SignatureOf"/> (a generator keeps the one it was created with): the field is read by reflection,
    /// ~0.1 µs, once per method instead of once per local.
    /// </summary>
    public static LocalBuilder? Declare(ILGenerator il, SignatureHelper? signature, byte[] encoding) => Available ? Replace(il, signature, encoding) : null;

    /// <summary>The local signature <paramref name="il"/> appends its locals to; null on a runtime without the expected layout.</summary>
    public static SignatureHelper? SignatureOf(ILGenerator il) => Available ? LocalSignatureField!.GetValue(il) as SignatureHelper : null;

    private static LocalBuilder? Replace(ILGenerator il, SignatureHelper? sig, byte[] encoding)
    {
        if (sig == null) return null;
        var local = il.DeclareLocal(typeof(int));
        ref var bytes = ref SignatureBytes(sig);
        ref int length = ref SignatureLength(sig);
        if (length < 1 || length > bytes.Length || bytes[length - 1] != ElementTypeI4) return null;
        int at = length - 1;
        if (at + encoding.Length > bytes.Length) Array.Resize(ref bytes, Math.Max(bytes.Length * 2, at + encoding.Length + 8));
        encoding.CopyTo(bytes, at);
        length = at + encoding.Length;
        return local;
    }

    /// <summary>ECMA-335 II.23.2.8: the token's row shifted left by two, tagged TypeDef 0, TypeRef 1, TypeSpec 2, compressed (II.23.2).</summary>
    private static byte[] CodedToken(int token)
    {
        int rid = token & 0x00FF_FFFF;
        int tag = (token >>> 24) switch { 0x01 => 1, 0x1B => 2, _ => 0 };
        int v = (rid << 2) | tag;
        if (v <= 0x7F) return [(byte)v];
        if (v <= 0x3FFF) return [(byte)(0x80 | (v >> 8)), (byte)v];
        return [(byte)(0xC0 | (v >> 24)), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
    }

    /// <summary>Declares locals of every kind by <see cref="DeclareDirect"/> in a throwaway method (past the signature's first buffer), and reads them back.</summary>
    private static bool ProbeDirect()
    {
        try
        {
            var ab = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("PliantWasmLocalProbe2"), AssemblyBuilderAccess.RunAndCollect);
            var module = ab.DefineDynamicModule("probe");
            var tb = module.DefineType("Probe", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract);
            var mb = tb.DefineMethod("m", MethodAttributes.Public | MethodAttributes.Static, typeof(int), Type.EmptyTypes);
            var il = mb.GetILGenerator();
            Type[] kinds = [typeof(int), typeof(long), typeof(float), typeof(double), typeof(nuint), typeof(object), typeof(byte[]), ByteRef,
                typeof(Vector128<byte>), typeof(Runtime.ExecState), typeof(Runtime.FuelResultI32)];
            var expected = new List<Type>();
            var first = il.DeclareLocal(typeof(long)); // one the ordinary way first: the two ways mix
            expected.Add(typeof(long));
            var sig = SignatureOf(il)!;
            LocalBuilder? last = null;
            for (int round = 0; round < 6; round++)
                foreach (var t in kinds)
                {
                    var encoding = PrimitiveEncoding(t) ?? Encode(t, TokenOf(module, t));
                    last = DeclareDirect(il, sig, encoding, t);
                    expected.Add(t);
                    if (last.LocalIndex != expected.Count - 1 || last.LocalType != t) return false;
                }
            var again = il.DeclareLocal(typeof(int));
            expected.Add(typeof(int));
            if (again.LocalIndex != expected.Count - 1) return false;
            // return 5 through the last int local: the builders work in IL.
            il.Emit(OpCodes.Ldc_I4_5);
            il.Emit(OpCodes.Stloc, again);
            il.Emit(OpCodes.Ldloc, again);
            il.Emit(OpCodes.Ret);
            var created = tb.CreateType();
            var method = created.GetMethod("m")!;
            var locals = method.GetMethodBody()!.LocalVariables;
            if (locals.Count != expected.Count) return false;
            for (int i = 0; i < expected.Count; i++)
                if (locals[i].LocalType != expected[i]) return false;
            return (int)method.Invoke(null, null)! == 5;
        }
        catch (Exception)
        {
            // As in Probe: any failure means DeclareLocal (or Replace) for every local.
            return false;
        }
    }

    /// <summary>Declares the fast locals in a throwaway method and reads its local signature back.</summary>
    private static bool Probe()
    {
        try
        {
            if (LocalSignatureField == null || LocalSignatureField.FieldType != typeof(SignatureHelper)) return false;
            var ab = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("PliantWasmLocalProbe"), AssemblyBuilderAccess.RunAndCollect);
            var module = ab.DefineDynamicModule("probe");
            var tb = module.DefineType("Probe", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract);
            var mb = tb.DefineMethod("m", MethodAttributes.Public | MethodAttributes.Static, typeof(void), Type.EmptyTypes);
            var il = mb.GetILGenerator();
            Type[] expected = [typeof(long), typeof(Vector128<byte>), typeof(Runtime.ExecState), typeof(int), ByteRef, typeof(byte[]), typeof(Runtime.FuelResultI32), typeof(Vector128<byte>)];
            // Filler so the signature buffer (32 bytes at first) must grow inside a replacement.
            for (int i = 0; i < 24; i++) il.DeclareLocal(typeof(int));
            foreach (var t in expected)
                if (!Handles(t)) il.DeclareLocal(t);
                else if (Replace(il, LocalSignatureField.GetValue(il) as SignatureHelper, Encode(t, TokenOf(module, t))) == null) return false;
            il.Emit(OpCodes.Ret);
            var created = tb.CreateType();
            var locals = created.GetMethod("m")!.GetMethodBody()!.LocalVariables;
            if (locals.Count != 24 + expected.Length) return false;
            for (int i = 0; i < expected.Length; i++)
                if (locals[24 + i].LocalType != expected[i]) return false;
            return true;
        }
        catch (Exception)
        {
            // Whatever a runtime with other internals throws here (a missing field, a bad signature read back), the
            // answer is the same: use DeclareLocal. Not rethrown: it would fail this type's initialisation, so every compile.
            return false;
        }
    }
}
