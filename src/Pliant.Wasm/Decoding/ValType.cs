namespace Pliant.Wasm.Decoding;

/// <summary>A WebAssembly value type, encoded as in the binary format.</summary>
public enum ValType : byte
{
    /// <summary>Placeholder used by the validator for an unknown operand.</summary>
    Unknown = 0,
    /// <summary>32-bit integer.</summary>
    I32 = 0x7F,
    /// <summary>64-bit integer.</summary>
    I64 = 0x7E,
    /// <summary>32-bit float.</summary>
    F32 = 0x7D,
    /// <summary>64-bit float.</summary>
    F64 = 0x7C,
    /// <summary>128-bit vector (decoded, never valid here: SIMD is not supported).</summary>
    V128 = 0x7B,
    /// <summary>Function reference.</summary>
    FuncRef = 0x70,
    /// <summary>External (host) reference.</summary>
    ExternRef = 0x6F,
}

/// <summary>Helpers for <see cref="ValType"/>.</summary>
public static class ValTypes
{
    /// <summary>True for funcref and externref.</summary>
    public static bool IsRef(this ValType t) => t is ValType.FuncRef or ValType.ExternRef;

    /// <summary>True for the four numeric types.</summary>
    public static bool IsNum(this ValType t) => t is ValType.I32 or ValType.I64 or ValType.F32 or ValType.F64;

    /// <summary>Text-format name of the type.</summary>
    public static string Name(this ValType t) => t switch
    {
        ValType.I32 => "i32", ValType.I64 => "i64", ValType.F32 => "f32", ValType.F64 => "f64",
        ValType.V128 => "v128", ValType.FuncRef => "funcref", ValType.ExternRef => "externref", _ => "?",
    };
}
