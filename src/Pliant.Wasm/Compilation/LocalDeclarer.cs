using System.Reflection.Emit;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Signature encodings of the IL locals the compiler declares (ECMA-335 II.23.2.12 Type), for the local signature
/// <see cref="IlWriter"/> builds: primitives by their element type, <c>byte[]</c> and <c>ref byte</c>, classes and
/// value types by <c>CLASS</c>/<c>VALUETYPE</c> and their TypeRef/TypeDef token, generic instances
/// (<c>Vector128&lt;byte&gt;</c>, <c>Vector256&lt;byte&gt;</c>) by <c>GENERICINST</c> over their definition's token.
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal static class LocalDeclarer
{
    private const byte ElementTypeClass = 0x12, ElementTypeValueType = 0x11, ElementTypeGenericInst = 0x15, ElementTypeSzArray = 0x1D, ElementTypeByRef = 0x10;

    private static readonly Type ByteRef = typeof(byte).MakeByRefType();

    private static readonly byte[] EncodingI4 = [0x08], EncodingI8 = [0x0A], EncodingR4 = [0x0C], EncodingR8 = [0x0D], EncodingU = [0x19], EncodingI = [0x18],
        EncodingU1 = [0x05], EncodingObject = [0x1C], EncodingBytes = [ElementTypeSzArray, 0x05], EncodingByteRef = [ElementTypeByRef, 0x05];

    /// <summary>Signature encodings of the primitive and array types the compiler declares (ECMA-335 II.23.1.16, II.23.2.12); null for others.</summary>
    public static byte[]? PrimitiveEncoding(Type t) =>
        t == typeof(int) ? EncodingI4 : t == typeof(long) ? EncodingI8 : t == typeof(float) ? EncodingR4 : t == typeof(double) ? EncodingR8
        : t == typeof(nuint) ? EncodingU : t == typeof(object) ? EncodingObject : t == typeof(byte[]) ? EncodingBytes : t == ByteRef ? EncodingByteRef
        : t == typeof(byte) ? EncodingU1 : t == typeof(nint) ? EncodingI : null;

    /// <summary>The signature bytes of <paramref name="t"/>, class and value type tokens from <paramref name="tokenOf"/> (of the generic definition for a generic instance).</summary>
    public static byte[] Encode(Type t, Func<Type, int> tokenOf)
    {
        if (PrimitiveEncoding(t) is { } primitive) return primitive;
        if (t.IsByRef) return [ElementTypeByRef, .. Encode(t.GetElementType()!, tokenOf)];
        if (t.IsSZArray) return [ElementTypeSzArray, .. Encode(t.GetElementType()!, tokenOf)];
        if (t.IsPointer || t.IsArray || t.IsGenericParameter || t.ContainsGenericParameters || t == typeof(string) || t.IsPrimitive)
            throw new NotSupportedException($"no local signature encoding for {t}");
        byte kind = t.IsValueType ? ElementTypeValueType : ElementTypeClass;
        if (!t.IsGenericType) return [kind, .. CodedToken(tokenOf(t))];
        var args = t.GetGenericArguments();
        var encoded = new List<byte> { ElementTypeGenericInst, kind };
        encoded.AddRange(CodedToken(tokenOf(t.GetGenericTypeDefinition())));
        encoded.Add((byte)args.Length); // II.23.2.12: GenArgCount, compressed; generic types here take one or two
        foreach (var a in args) encoded.AddRange(Encode(a, tokenOf));
        return [.. encoded];
    }

    /// <summary>The signature bytes of <paramref name="t"/> given the token <paramref name="token"/> of its class, value type or generic definition.</summary>
    public static byte[] Encode(Type t, int token) => Encode(t, _ => token);

    /// <summary>The token <see cref="Encode(Type, Func{Type, int})"/> needs for <paramref name="t"/> (a class, value type or generic definition), from <paramref name="module"/>.</summary>
    public static int TokenOf(ModuleBuilder module, Type t) => module.GetTypeMetadataToken(t);

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
}
