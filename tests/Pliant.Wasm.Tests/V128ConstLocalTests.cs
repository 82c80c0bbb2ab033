using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// A local written from the <c>v128.const</c> right before is known to hold that constant, and a <c>local.get</c>
/// of it pushes the constant again (FunctionCompiler.Simd.cs, RecordV128Const) — until the local is written again, or
/// where paths merge and one of them writes it. Each case reads the local where that knowledge must hold and where it
/// must not (a loop that reads it before writing it, an arm that writes it, a write of another value) and checks
/// the lanes read, for an argument that makes the paths differ and one that does not.
/// </summary>
public class V128ConstLocalTests
{
    /// <summary><c>v128.const</c> with i32 lanes a·16, a·16 + 1, a·16 + 2, a·16 + 3.</summary>
    private static byte[] V(int a) =>
        [0xFD, 0x0C, .. Enumerable.Range(0, 4).SelectMany(k => BitConverter.GetBytes(a * 16 + k))];

    private static byte[] Lane(int k) => [0xFD, 0x1B, (byte)k]; // i32x4.extract_lane k
    private static readonly byte[] Splat = [0xFD, 0x11];          // i32x4.splat

    // (param p i32) (result i32) (local L v128) (local M v128) (local acc i32) (local i i32)
    public static TheoryData<string, int, int> Cases() => new()
    {
        // tee then get in straight-line code: both reads see the constant
        { "tee then get", 5, (7 * 16) + (7 * 16 + 3) },
        // the loop reads L before writing it: the first iteration sees splat(p), the next ones the constant
        { "loop reads first", 5, 5 + 7 * 16 + 7 * 16 },
        { "loop reads first", 0, 0 + 7 * 16 + 7 * 16 },
        // an if arm writes L: after the if, L is the arm's constant or the first one
        { "if writes", 1, 9 * 16 },
        { "if writes", 0, 7 * 16 },
        // a block that never writes L keeps the constant
        { "block keeps", 1, 7 * 16 + 1 },
        { "block keeps", 0, 7 * 16 + 1 },
        // a write of another value ends it (set and tee)
        { "set other", 5, 5 },
        { "tee other", 6, 6 },
        // a loop that never writes L reads the constant on every iteration
        { "loop keeps", 2, 3 * (7 * 16 + 2) },
        // copied to another local through local.get
        { "copy", 3, 7 * 16 + 3 },
    };

    private static byte[] Body(string shape) => shape switch
    {
        "tee then get" => [.. V(7), 0x22, 1, .. Lane(0), 0x20, 1, .. Lane(3), 0x6A],
        "loop reads first" =>
        [
            0x20, 0, .. Splat, 0x21, 1,
            0x03, 0x40,
            0x20, 3, 0x20, 1, .. Lane(0), 0x6A, 0x21, 3,
            .. V(7), 0x21, 1,
            0x20, 4, 0x41, 1, 0x6A, 0x22, 4, 0x41, 3, 0x47, 0x0D, 0,
            0x0B,
            0x20, 3,
        ],
        "if writes" => [.. V(7), 0x21, 1, 0x20, 0, 0x04, 0x40, .. V(9), 0x21, 1, 0x0B, 0x20, 1, .. Lane(0)],
        "block keeps" => [.. V(7), 0x21, 1, 0x02, 0x40, 0x20, 0, 0x0D, 0, 0x20, 0, 0x21, 3, 0x0B, 0x20, 1, .. Lane(1)],
        "set other" => [.. V(7), 0x21, 1, 0x20, 0, .. Splat, 0x21, 1, 0x20, 1, .. Lane(0)],
        "tee other" => [.. V(7), 0x22, 1, 0x1A, 0x20, 0, .. Splat, 0x22, 1, 0x1A, 0x20, 1, .. Lane(2)],
        "loop keeps" =>
        [
            .. V(7), 0x21, 1,
            0x03, 0x40,
            0x20, 3, 0x20, 1, .. Lane(2), 0x6A, 0x21, 3,
            0x20, 4, 0x41, 1, 0x6A, 0x22, 4, 0x41, 3, 0x47, 0x0D, 0,
            0x0B,
            0x20, 3,
        ],
        _ => [.. V(7), 0x21, 1, 0x20, 1, 0x21, 2, 0x20, 2, .. Lane(3)],
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ALocalHoldsItsConstantExactlyWhereNoOtherWriteReaches(string shape, int p, int expected)
    {
        foreach (bool meter in new[] { true, false })
        {
            var b = new ModuleBuilder();
            b.Func(b.Type([I32], [I32]), Body(shape), [V128, V128, I32, I32], export: "f");
            var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MeterFuel = meter }).Instantiate();
            Assert.Equal(expected, inst.Invoke("f", [WasmValue.FromI32(p)])[0].I32);
        }
    }
}
