using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Pliant.Quic.Crypto.Intrinsics;

namespace Pliant.Quic.Tests.Crypto;

/// <summary>
/// ReadyToRun cannot precompile a method with a <see cref="Vector128{T}"/> or <see cref="Vector256{T}"/> in its
/// signature, so such a method on the packet-protection path would start every process as tier-0 code (no inlining,
/// every vector spilled) until the background JIT reaches it. Each one is therefore either inlined into its caller or
/// compiled optimized at its first call; this keeps a new helper from slipping back to tier 0.
/// </summary>
public sealed class IntrinsicsStartupTests
{
    public static TheoryData<Type> Classes() => new() { typeof(AesGcmIntrinsics), typeof(AesKeySchedule) };

    [Theory]
    [MemberData(nameof(Classes))]
    public void EveryVectorMethodIsInlinedOrOptimizedAtFirstCall(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var methods = type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all))
            .Where(m => !m.IsAbstract && UsesVectors(m))
            .ToList();
        Assert.NotEmpty(methods);
        foreach (var m in methods)
        {
            var flags = m.MethodImplementationFlags;
            bool inlined = (flags & MethodImplAttributes.AggressiveInlining) != 0;
            bool optimized = (flags & MethodImplAttributes.AggressiveOptimization) != 0;
            Assert.True(inlined || optimized, $"{type.Name}.{m.Name} uses vectors but has neither AggressiveInlining nor AggressiveOptimization");
        }
    }

    /// <summary>Vectors in the signature, or (constructors and the public entry points) in the code the JIT would compile.</summary>
    private static bool UsesVectors(MethodBase m)
    {
        static bool IsVector(Type t)
        {
            var e = t.IsByRef ? t.GetElementType()! : t;
            return e.IsGenericType && (e.GetGenericTypeDefinition() == typeof(Vector128<>) || e.GetGenericTypeDefinition() == typeof(Vector256<>));
        }
        if (m.GetParameters().Any(p => IsVector(p.ParameterType))) return true;
        if (m is MethodInfo mi && IsVector(mi.ReturnType)) return true;
        // Seal/Open/the constructor take spans but run the vector code themselves.
        return m.DeclaringType == typeof(AesGcmIntrinsics) && m.Name is "Seal" or "Open" or ".ctor" && m.GetParameters().Length > 1;
    }
}
