namespace Pliant.Wasm.Tests;

/// <summary>
/// Generates random well-typed function bodies (expressions with blocks, loops, branches carrying
/// values, br_table, select, multi-value calls and blocks, memory accesses) for differential tests.
/// Function 0 is <c>() -> i64</c> (locals: i32 i32 i32 i64 f64); function 1 is the helper
/// <c>(i64 f64) -> (i32 i64)</c>; type 2 is <c>[] -> [i32 i64]</c>, type 3 is <c>[i32] -> [i32]</c>.
/// </summary>
internal sealed class ProgramGenerator(Random rng)
{
    private const byte I32 = 0x7F, I64 = 0x7E, F64 = 0x7C;
    private readonly List<byte> _o = [];

    public byte[] Module()
    {
        _o.Clear();
        Expr(I64, 5);
        byte[] body = [0x03, 0x03, I32, 0x01, I64, 0x01, F64, .. _o, 0x0B];
        // helper: (a i64, b f64) -> (i32 i64): (i32.wrap a + trunc_sat b, a * 3)
        byte[] helper = [0x00, 0x20, 0, 0xA7, 0x20, 1, 0xFC, 0x02, 0x6A, 0x20, 0, 0x42, 3, 0x7E, 0x0B];
        var m = new List<byte> { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
        Section(m, 1, [0x04, 0x60, 0x00, 0x01, I64, 0x60, 0x02, I64, F64, 0x02, I32, I64, 0x60, 0x00, 0x02, I32, I64, 0x60, 0x01, I32, 0x01, I32]);
        Section(m, 3, [0x02, 0x00, 0x01]);
        Section(m, 5, [0x01, 0x00, 0x01]);
        Section(m, 7, [0x01, 0x01, (byte)'f', 0x00, 0x00]);
        Section(m, 10, [0x02, .. ModuleBuilder.U32((uint)body.Length), .. body, .. ModuleBuilder.U32((uint)helper.Length), .. helper]);
        return [.. m];
    }

    private static void Section(List<byte> o, byte id, byte[] content)
    {
        o.Add(id);
        o.AddRange(ModuleBuilder.U32((uint)content.Length));
        o.AddRange(content);
    }

    private void E(params byte[] b) => _o.AddRange(b);

    private void Const(byte t)
    {
        int[] interesting = [0, 1, -1, 2, 7, 31, 32, 63, 64, int.MinValue, int.MaxValue, 0xFFF, 12345];
        int v = rng.Next(3) == 0 ? rng.Next() - rng.Next() : interesting[rng.Next(interesting.Length)];
        switch (t)
        {
            case I32: E([0x41, .. ModuleBuilder.S32(v)]); break;
            case I64: E([0x42, .. ModuleBuilder.S64(rng.Next(4) == 0 ? (long)v << 31 : v)]); break;
            default:
                double[] ds = [0.0, -0.0, 1.5, -2.25, 1e300, -1e-300, double.PositiveInfinity, double.NaN, 4294967296.0, v];
                E([0x44, .. BitConverter.GetBytes(ds[rng.Next(ds.Length)])]);
                break;
        }
    }

    private static byte BlockType(byte t) => t;

    private void Address()
    {
        Expr(I32, 1);
        E([0x41, .. ModuleBuilder.S32(0xFF8), 0x71]); // & 0xFF8: in bounds, aligned
    }

    private void Stmt(int depth)
    {
        switch (rng.Next(4))
        {
            case 0: Expr(I32, depth); E(0x21, (byte)rng.Next(2)); break; // local 2 is the loop counter
            case 1: Expr(I64, depth); E(0x21, 3); break;
            case 2: Address(); Expr(I64, depth); E(0x37, 3, 0); break;
            default: Expr(F64, depth); E(0x21, 4); break;
        }
    }

    public void Expr(byte t, int depth)
    {
        int choice = depth <= 0 ? rng.Next(2) : rng.Next(16);
        switch (choice)
        {
            case 0: Const(t); return;
            case 1:
                E(0x20, t switch { I32 => (byte)rng.Next(3), I64 => 3, _ => 4 });
                return;
            case 2: // binary
                Expr(t, depth - 1);
                Expr(t, depth - 1);
                E(t switch
                {
                    I32 => new byte[] { 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78 }[rng.Next(15)],
                    I64 => new byte[] { 0x7C, 0x7D, 0x7E, 0x7F, 0x80, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A }[rng.Next(13)],
                    _ => new byte[] { 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6 }[rng.Next(7)],
                });
                return;
            case 3 when rng.Next(3) == 0: // unary ops (float NaN bits are never observed: floats reach the result only through comparisons and trunc_sat)
                Expr(t, depth - 1);
                E(t switch
                {
                    I32 => new byte[] { 0x67, 0x68, 0x69, 0x45, 0xC0, 0xC1 }[rng.Next(6)],
                    I64 => new byte[] { 0x79, 0x7A, 0x7B, 0xC2, 0xC3, 0xC4 }[rng.Next(6)],
                    _ => (byte)(0x99 + rng.Next(7)),
                });
                return;
            case 3: // conversions into t
                switch (t)
                {
                    case I32:
                        if (rng.Next(2) == 0) { Expr(F64, depth - 1); E(0xFC, (byte)(2 + rng.Next(2))); }
                        else { Expr(I64, depth - 1); E(rng.Next(2) == 0 ? (byte)0xA7 : (byte)0x50); }
                        return;
                    case I64:
                        if (rng.Next(2) == 0) { Expr(F64, depth - 1); E(0xFC, (byte)(6 + rng.Next(2))); }
                        else { Expr(I32, depth - 1); E(rng.Next(2) == 0 ? (byte)0xAC : (byte)0xAD); }
                        return;
                    default:
                        if (rng.Next(2) == 0) { Expr(I32, depth - 1); E(rng.Next(2) == 0 ? (byte)0xB7 : (byte)0xB8); }
                        else { Expr(I64, depth - 1); E(rng.Next(2) == 0 ? (byte)0xB9 : (byte)0xBA); }
                        return;
                }
            case 4: // block with an early exit carrying a value
                E(0x02, BlockType(t));
                Expr(t, depth - 1);
                Expr(I32, depth - 1);
                E(0x0D, 0, 0x1A);
                Expr(t, depth - 1);
                E(0x0B);
                return;
            case 5: // if/else
                Expr(I32, depth - 1);
                E(0x04, BlockType(t));
                Expr(t, depth - 1);
                E(0x05);
                Expr(t, depth - 1);
                E(0x0B);
                return;
            case 6: // counted loop (local 2 as counter) with a body statement
                E(0x41, (byte)(1 + rng.Next(5)), 0x21, 2);
                E(0x03, BlockType(t));
                Stmt(depth - 1);
                E(0x20, 2, 0x41, 1, 0x6B, 0x22, 2, 0x41, 0, 0x4A, 0x0D, 0);
                Expr(t, depth - 1);
                E(0x0B);
                return;
            case 7: // select
                Expr(t, depth - 1);
                Expr(t, depth - 1);
                Expr(I32, depth - 1);
                E(0x1B);
                return;
            case 8: // br_table across two blocks carrying t
                E(0x02, BlockType(t), 0x02, BlockType(t));
                Expr(t, depth - 1);
                Expr(I32, depth - 1);
                E(0x0E, 2, (byte)rng.Next(2), (byte)rng.Next(2), (byte)rng.Next(2));
                E(0x0B);
                if (rng.Next(2) == 0) { E(0x1A); Expr(t, depth - 1); }
                E(0x0B);
                return;
            case 9: // multi-value call
                Expr(I64, depth - 1);
                Expr(F64, depth - 1);
                E(0x10, 1);
                if (t == I32) E(0x1A);
                else if (t == I64) E(0x21, 3, 0x1A, 0x20, 3);
                else E(0x1A, 0x1A, 0x20, 4);
                return;
            case 10: // multi-value block then combine
                E(0x02, 0x02);
                Expr(I32, depth - 1);
                Expr(I64, depth - 1);
                E(0x0B);
                if (t == I32) E(0x50, 0x6A);
                else if (t == I64) E(0x21, 3, 0xAC, 0x20, 3, 0x7C);
                else E(0x1A, 0x1A, 0x20, 4);
                return;
            case 11: // block with a parameter
                if (t != I32) goto case 2;
                Expr(I32, depth - 1);
                E(0x02, 0x03);
                Expr(I32, depth - 1);
                E(0x6B, 0x0B);
                return;
            case 12: // memory load
                Address();
                E(t switch { I32 => new byte[] { 0x28, 2, 0 }, I64 => new byte[] { 0x29, 3, 0 }, _ => new byte[] { 0x2B, 3, 0 } });
                return;
            case 13: // statement then value
                Stmt(depth - 1);
                Expr(t, depth - 1);
                return;
            case 14: // tee
                Expr(t, depth - 1);
                E(0x22, t switch { I32 => (byte)rng.Next(2), I64 => 3, _ => 4 });
                return;
            default: // comparisons
                if (t != I32) goto case 2;
                byte ct = new[] { I32, I64, F64 }[rng.Next(3)];
                Expr(ct, depth - 1);
                Expr(ct, depth - 1);
                E(ct switch { I32 => (byte)(0x46 + rng.Next(10)), I64 => (byte)(0x51 + rng.Next(10)), _ => (byte)(0x61 + rng.Next(6)) });
                return;
        }
    }
}
