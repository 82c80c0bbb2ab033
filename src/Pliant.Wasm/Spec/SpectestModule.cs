using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Spec;

/// <summary>The <c>spectest</c> host module the official test suite imports from.</summary>
public static class SpectestModule
{
    /// <summary>Adds the spectest exports to <paramref name="imports"/>.</summary>
    public static void Define(Imports imports)
    {
        const string m = "spectest";
        imports.Function(m, "print", () => { });
        imports.Function(m, "print_i32", (int _) => { });
        imports.Function(m, "print_i64", (long _) => { });
        imports.Function(m, "print_f32", (float _) => { });
        imports.Function(m, "print_f64", (double _) => { });
        imports.Function(m, "print_i32_f32", (int _, float _) => { });
        imports.Function(m, "print_f64_f64", (double _, double _) => { });
        imports.Define(m, "global_i32", new Global(ValType.I32, false) { I32 = 666 });
        imports.Define(m, "global_i64", new Global(ValType.I64, false) { I64 = 666 });
        imports.Define(m, "global_f32", new Global(ValType.F32, false) { F32 = 666.6f });
        imports.Define(m, "global_f64", new Global(ValType.F64, false) { F64 = 666.6 });
        imports.Define(m, "table", new Table(ValType.FuncRef, 10, 20, 1000));
        imports.Define(m, "memory", new Memory(1, 2, 65536));
    }
}

/// <summary>An externref value created by the harness (<c>ref.extern N</c>).</summary>
public sealed record HostRef(ulong Value);
