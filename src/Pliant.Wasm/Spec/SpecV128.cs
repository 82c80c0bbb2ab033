using System.Globalization;
using System.Text.Json;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Spec;

/// <summary>
/// v128 values in wast2json files: <c>{"type": "v128", "lane_type": "i8|i16|i32|i64|f32|f64",
/// "value": [lane, ...]}</c>, lanes as unsigned decimal bit patterns (lane 0 first), and in expected
/// results float lanes may be <c>nan:canonical</c> or <c>nan:arithmetic</c>.
/// </summary>
internal static class SpecV128
{
    private static int LaneBits(string laneType) => laneType switch
    {
        "i8" => 8, "i16" => 16, "i32" or "f32" => 32, "i64" or "f64" => 64,
        _ => throw new NotSupportedException("lane type " + laneType),
    };

    private static (int Bits, JsonElement[] Lanes) Shape(JsonElement v)
    {
        int bits = LaneBits(v.GetProperty("lane_type").GetString()!);
        var lanes = v.GetProperty("value").EnumerateArray().ToArray();
        if (lanes.Length * bits != 128) throw new FormatException($"{lanes.Length} lanes of {bits} bits");
        return (bits, lanes);
    }

    /// <summary>A lane's bits from its text (unsigned or negative decimal).</summary>
    private static ulong LaneValue(string s) =>
        s.StartsWith('-') ? (ulong)long.Parse(s, CultureInfo.InvariantCulture) : ulong.Parse(s, CultureInfo.InvariantCulture);

    private static ulong Lane(UInt128 v, int bits, int i) => (ulong)(v >> (i * bits)) & (bits == 64 ? ulong.MaxValue : (1UL << bits) - 1);

    private static UInt128 Bits(WasmValue v) => ((UInt128)(ulong)v.HighBits << 64) | (ulong)v.Bits;

    public static WasmValue Parse(JsonElement v)
    {
        var (bits, lanes) = Shape(v);
        UInt128 acc = 0;
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        for (int i = 0; i < lanes.Length; i++) acc |= (UInt128)(LaneValue(lanes[i].GetString()!) & mask) << (i * bits);
        var lo = (long)(ulong)acc;
        var hi = (long)(ulong)(acc >> 64);
        return WasmValue.FromV128(V128Ops.Const(lo, hi));
    }

    public static bool Matches(JsonElement expected, WasmValue got)
    {
        var (bits, lanes) = Shape(expected);
        var value = Bits(got);
        for (int i = 0; i < lanes.Length; i++)
        {
            string s = lanes[i].GetString()!;
            ulong lane = Lane(value, bits, i);
            bool ok = s switch
            {
                // Spec §4.3.3: canonical NaN = quiet bit only; arithmetic NaN = quiet bit set; any sign.
                "nan:canonical" => bits == 32 ? (lane & 0x7FFFFFFF) == 0x7FC00000 : (lane & 0x7FFFFFFFFFFFFFFF) == 0x7FF8000000000000,
                "nan:arithmetic" => bits == 32 ? (lane & 0x7FC00000) == 0x7FC00000 : (lane & 0x7FF8000000000000) == 0x7FF8000000000000,
                _ => lane == (LaneValue(s) & (bits == 64 ? ulong.MaxValue : (1UL << bits) - 1)),
            };
            if (!ok) return false;
        }
        return true;
    }
}
