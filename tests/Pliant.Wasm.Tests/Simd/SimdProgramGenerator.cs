namespace Pliant.Wasm.Tests.Simd;

/// <summary>
/// Random well-typed SIMD programs for differential tests: <c>f() -> i64</c> stores a few vector
/// expressions to memory (initialised from a data segment) and hashes a final vector expression
/// into an i64. Expressions draw on every 2.0 SIMD opcode — constants, splats, lanes, shuffles,
/// loads of every kind, integer and float arithmetic, comparisons, conversions.
/// <para>Results are deterministic across engines: a float operation that can produce a NaN is
/// followed by <c>x &amp; (x == x)</c>, which zeroes NaN lanes, because the spec lets engines pick
/// NaN payloads (spec §4.3.3).</para>
/// Locals: 0 = v128 (the result), 1 = v128 (scratch for the NaN mask).
/// </summary>
internal sealed class SimdProgramGenerator(Random rng)
{
    private readonly List<byte> _o = [];

    // Sub-opcodes by shape. "Nan" ones can produce NaN lanes (f32 or f64) and get masked.
    private static readonly int[] Unary =
    [
        77, 96, 97, 98, 124, 125, 126, 127, 128, 129, 135, 136, 137, 138, 160, 161, 167, 168, 169, 170, 192, 193,
        199, 200, 201, 202, 224, 225, 236, 237, 248, 249, 250, 251, 252, 253, 254, 255,
    ];
    private static readonly int[] UnaryNanF32 = [94, 103, 104, 105, 106, 227];
    private static readonly int[] UnaryNanF64 = [95, 116, 117, 122, 148, 239];
    private static readonly int[] Binary =
    [
        14, .. Enumerable.Range(35, 42), 78, 79, 80, 81, 101, 102, 110, 111, 112, 113, 114, 115, 118, 119, 120, 121, 123, 130, 133, 134,
        142, 143, 144, 145, 146, 147, 149, 150, 151, 152, 153, 155, 156, 157, 158, 159, 174, 177, 181, 182, 183, 184, 185, 186,
        188, 189, 190, 191, 206, 209, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 234, 235, 246, 247,
    ];
    private static readonly int[] BinaryNanF32 = [228, 229, 230, 231, 232, 233];
    private static readonly int[] BinaryNanF64 = [240, 241, 242, 243, 244, 245];
    private static readonly int[] Shifts = [107, 108, 109, 139, 140, 141, 171, 172, 173, 203, 204, 205];
    private static readonly int[] Tests = [83, 99, 100, 131, 132, 163, 164, 195, 196];
    private static readonly int[] Loads = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 92, 93];

    public byte[] Module()
    {
        _o.Clear();
        int statements = rng.Next(3);
        for (int i = 0; i < statements; i++) Store();
        Vector(4);
        // hash: lane0 * golden ^ lane1
        E(0x21, 0, 0x20, 0);
        E(0xFD, 29, 0);
        E([0x42, .. ModuleBuilder.S64(unchecked((long)0x9E3779B97F4A7C15UL)), 0x7E]);
        E(0x20, 0, 0xFD, 29, 1, 0x85);
        byte[] body = [0x01, 0x02, 0x7B, .. _o, 0x0B];
        var data = new byte[256];
        rng.NextBytes(data);
        var m = new List<byte> { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
        Section(m, 1, [0x01, 0x60, 0x00, 0x01, 0x7E]);
        Section(m, 3, [0x01, 0x00]);
        Section(m, 5, [0x01, 0x00, 0x01]);
        Section(m, 7, [0x01, 0x01, (byte)'f', 0x00, 0x00]);
        Section(m, 10, [0x01, .. ModuleBuilder.U32((uint)body.Length), .. body]);
        Section(m, 11, [0x01, 0x00, 0x41, 0x00, 0x0B, .. ModuleBuilder.U32((uint)data.Length), .. data]);
        return [.. m];
    }

    private static void Section(List<byte> o, byte id, byte[] content)
    {
        o.Add(id);
        o.AddRange(ModuleBuilder.U32((uint)content.Length));
        o.AddRange(content);
    }

    private void E(params byte[] b) => _o.AddRange(b);

    private void Simd(int sub) => E([0xFD, .. ModuleBuilder.U32((uint)sub)]);

    /// <summary>An address inside the 256 initialised bytes (sometimes unaligned), as an i32.const.</summary>
    private void Address() => E([0x41, .. ModuleBuilder.S32(rng.Next(4) == 0 ? rng.Next(240) : rng.Next(15) * 16)]);

    private void Store()
    {
        Address();
        Vector(3);
        switch (rng.Next(3))
        {
            case 0: Simd(11); E(0, 0); break;
            default:
                int sub = 88 + rng.Next(4); // store8/16/32/64_lane
                Simd(sub);
                E(0, 0, (byte)rng.Next(16 >> (sub - 88)));
                break;
        }
    }

    private void Mask(bool f64)
    {
        E(0x22, 1, 0x20, 1, 0x20, 1);
        Simd(f64 ? 71 : 65); // f64x2.eq / f32x4.eq
        Simd(78); // v128.and
    }

    private void Scalar(byte type)
    {
        switch (type)
        {
            case 0x7F:
                int[] ints = [0, 1, -1, 127, 128, 255, 256, 32767, -32768, 65535, int.MinValue, int.MaxValue];
                E([0x41, .. ModuleBuilder.S32(rng.Next(2) == 0 ? ints[rng.Next(ints.Length)] : rng.Next() - rng.Next())]);
                break;
            case 0x7E:
                E([0x42, .. ModuleBuilder.S64(((long)rng.Next() << 33) ^ rng.Next() ^ (rng.Next(2) == 0 ? long.MinValue : 0))]);
                break;
            case 0x7D:
                uint[] fs = [0, 0x80000000, 0x3F800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7FA00001, 0x4F000000, 0xCF000000, 0x3F000000, 0x4B800000];
                E([0x43, .. BitConverter.GetBytes(rng.Next(2) == 0 ? fs[rng.Next(fs.Length)] : (uint)rng.Next() * 3u)]);
                break;
            default:
                ulong[] ds = [0, 0x8000000000000000, 0x3FF0000000000000, 0x7FF0000000000000, 0x7FF8000000000000, 0x7FF4000000000001, 0x41E0000000000000, 0xC1E0000000000000, 0x41EFFFFFFFE00000, 0x3FE0000000000000];
                E([0x44, .. BitConverter.GetBytes(rng.Next(2) == 0 ? ds[rng.Next(ds.Length)] : ((ulong)rng.Next() << 32) ^ (ulong)rng.Next())]);
                break;
        }
    }

    private void Const()
    {
        var bytes = new byte[16];
        switch (rng.Next(4))
        {
            case 0: rng.NextBytes(bytes); break;
            case 1:
                // float lanes from a table of edges
                uint[] fs = [0, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7FA00001, 0x4F000000, 0x4F800000, 0xCF000000, 0x3F000000, 0x3FC00000, 0x40200000, 0x00000001];
                for (int i = 0; i < 4; i++) BitConverter.GetBytes(fs[rng.Next(fs.Length)]).CopyTo(bytes, 4 * i);
                break;
            case 2:
                ulong[] ds = [0, 0x8000000000000000, 0x3FF0000000000000, 0x7FF0000000000000, 0x7FF8000000000000, 0x41E0000000000000, 0xC1E0000000000001, 0x41EFFFFFFFE00000, 0x41F0000000000000, 0x3FE0000000000000, 0x4004000000000000];
                for (int i = 0; i < 2; i++) BitConverter.GetBytes(ds[rng.Next(ds.Length)]).CopyTo(bytes, 8 * i);
                break;
            default:
                // integer lanes at the edges of every width
                byte[] edges = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x81];
                for (int i = 0; i < 16; i++) bytes[i] = edges[rng.Next(edges.Length)];
                break;
        }
        Simd(12);
        E(bytes);
    }

    /// <summary>Pushes one v128.</summary>
    public void Vector(int depth)
    {
        int choice = depth <= 0 ? rng.Next(3) : rng.Next(14);
        switch (choice)
        {
            case 0: Const(); return;
            case 1:
            {
                int load = Loads[rng.Next(Loads.Length)];
                Address();
                Simd(load);
                E(0, 0);
                return;
            }
            case 2:
            {
                // splat of a scalar constant
                int sub = 15 + rng.Next(6);
                Scalar(sub switch { 18 => (byte)0x7E, 19 => (byte)0x7D, 20 => (byte)0x7C, _ => (byte)0x7F });
                Simd(sub);
                return;
            }
            case 3:
            case 4:
                Vector(depth - 1);
                Simd(Unary[rng.Next(Unary.Length)]);
                return;
            case 5:
            {
                Vector(depth - 1);
                bool f64 = rng.Next(2) == 0;
                Simd(f64 ? UnaryNanF64[rng.Next(UnaryNanF64.Length)] : UnaryNanF32[rng.Next(UnaryNanF32.Length)]);
                Mask(f64);
                return;
            }
            case 6:
            case 7:
                Vector(depth - 1);
                Vector(depth - 1);
                Simd(Binary[rng.Next(Binary.Length)]);
                return;
            case 8:
            {
                Vector(depth - 1);
                Vector(depth - 1);
                bool f64 = rng.Next(2) == 0;
                Simd(f64 ? BinaryNanF64[rng.Next(BinaryNanF64.Length)] : BinaryNanF32[rng.Next(BinaryNanF32.Length)]);
                Mask(f64);
                return;
            }
            case 9:
                Vector(depth - 1);
                Scalar(0x7F);
                Simd(Shifts[rng.Next(Shifts.Length)]);
                return;
            case 10:
            {
                Vector(depth - 1);
                Vector(depth - 1);
                Simd(13);
                for (int i = 0; i < 16; i++) E((byte)rng.Next(32));
                return;
            }
            case 11:
                Vector(depth - 1);
                Vector(depth - 1);
                Vector(depth - 1);
                Simd(82); // bitselect
                return;
            case 12:
            {
                // a lane out, through a splat back in; a lane replaced; a test result splatted
                Vector(depth - 1);
                switch (rng.Next(3))
                {
                    case 0:
                    {
                        int sub = 21 + rng.Next(14);
                        int[] lanes = [16, 16, 0, 8, 8, 0, 4, 0, 2, 0, 4, 0, 2, 0];
                        if (lanes[sub - 21] == 0) sub--; // a replace_lane: use the extract before it
                        Simd(sub);
                        E((byte)rng.Next(lanes[sub - 21]));
                        Simd(sub switch { 29 => 18, 31 => 19, 33 => 20, _ => 17 });
                        return;
                    }
                    case 1:
                    {
                        (int Sub, int Lanes, byte Type)[] replace = [(23, 16, 0x7F), (26, 8, 0x7F), (28, 4, 0x7F), (30, 2, 0x7E), (32, 4, 0x7D), (34, 2, 0x7C)];
                        var r = replace[rng.Next(replace.Length)];
                        Scalar(r.Type);
                        Simd(r.Sub);
                        E((byte)rng.Next(r.Lanes));
                        return;
                    }
                    default:
                        Simd(Tests[rng.Next(Tests.Length)]);
                        Simd(17);
                        return;
                }
            }
            default:
            {
                // lane load into a vector
                int sub = 84 + rng.Next(4);
                Address();
                Vector(depth - 1);
                Simd(sub);
                E(0, 0, (byte)rng.Next(16 >> (sub - 84)));
                return;
            }
        }
    }
}
