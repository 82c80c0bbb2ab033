using System.Runtime.Intrinsics;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Runtime;

/// <summary>An untyped-API value: a type tag, raw bits for numbers and vectors, and an object for references.</summary>
public readonly struct WasmValue : IEquatable<WasmValue>
{
    private WasmValue(ValType type, long bits, object? r, long highBits = 0)
    {
        Type = type;
        Bits = bits;
        Ref = r;
        HighBits = highBits;
    }

    /// <summary>Value type.</summary>
    public ValType Type { get; }

    /// <summary>Raw bits of a numeric value (floats as their IEEE bit pattern); the low 64 bits of a v128.</summary>
    public long Bits { get; }

    /// <summary>The high 64 bits of a v128 (lanes 8..15 as bytes); 0 for other types.</summary>
    public long HighBits { get; }

    /// <summary>Reference value (null = ref.null). Funcrefs are <see cref="FunctionInstance"/>s.</summary>
    public object? Ref { get; }

#pragma warning disable CS1591
    public int I32 => (int)Bits;
    public long I64 => Bits;
    public float F32 => BitConverter.Int32BitsToSingle((int)Bits);
    public double F64 => BitConverter.Int64BitsToDouble(Bits);
    public static WasmValue FromI32(int v) => new(ValType.I32, (uint)v, null);
    public static WasmValue FromI64(long v) => new(ValType.I64, v, null);
    public static WasmValue FromF32(float v) => new(ValType.F32, (uint)BitConverter.SingleToInt32Bits(v), null);
    public static WasmValue FromF64(double v) => new(ValType.F64, BitConverter.DoubleToInt64Bits(v), null);
    public static WasmValue FromF32Bits(uint bits) => new(ValType.F32, bits, null);
    public static WasmValue FromF64Bits(ulong bits) => new(ValType.F64, (long)bits, null);
    public Vector128<byte> V128 => Vector128.Create(Bits, HighBits).AsByte();
    public static WasmValue FromV128(Vector128<byte> v) => new(ValType.V128, v.AsInt64().GetElement(0), null, v.AsInt64().GetElement(1));
    public static WasmValue FromRef(ValType type, object? r) => new(type, 0, r);
    public static WasmValue Default(ValType t) => new(t, 0, null);
#pragma warning restore CS1591

    /// <inheritdoc/>
    public bool Equals(WasmValue other) => Type == other.Type && Bits == other.Bits && HighBits == other.HighBits && ReferenceEquals(Ref, other.Ref);
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is WasmValue v && Equals(v);
    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Type, Bits, HighBits);
    /// <summary>Equality.</summary>
    public static bool operator ==(WasmValue a, WasmValue b) => a.Equals(b);
    /// <summary>Inequality.</summary>
    public static bool operator !=(WasmValue a, WasmValue b) => !a.Equals(b);

    /// <inheritdoc/>
    public override string ToString() => Type switch
    {
        ValType.I32 => $"{I32}",
        ValType.I64 => $"{I64}",
        ValType.F32 => float.IsNaN(F32) ? $"nan:0x{Bits & 0x7FFFFF:x}" : F32.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        ValType.F64 => double.IsNaN(F64) ? $"nan:0x{Bits & 0xFFFFFFFFFFFFF:x}" : F64.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        ValType.V128 => $"i32x4 0x{(uint)Bits:x8} 0x{(uint)(Bits >> 32):x8} 0x{(uint)HighBits:x8} 0x{(uint)(HighBits >> 32):x8}",
        _ => Ref is null ? "null" : $"ref {Ref}",
    };
}
