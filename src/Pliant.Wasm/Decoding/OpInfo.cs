namespace Pliant.Wasm.Decoding;

/// <summary>Static facts about plain numeric and memory opcodes: operand/result types and natural alignment.</summary>
internal static class OpInfo
{
    private const ValType I = ValType.I32, L = ValType.I64, F = ValType.F32, D = ValType.F64, N = ValType.Unknown;

    // NumericOf for opcodes below 0x100 and 0xFC00..0xFC07 (at 0x100 + sub), packed in one int each (first operand,
    // second operand, result, a byte each; 0 for an opcode that is not numeric): validation and compilation look
    // every numeric instruction up, and the switch's range tests cost more than an index.
    private static readonly int[] Numeric = BuildNumeric();

    private static int[] BuildNumeric()
    {
        var t = new int[0x108];
        for (int i = 0; i < t.Length; i++)
        {
            var (a, b, r) = NumericOf((ushort)(i < 0x100 ? i : 0xFC00 + i - 0x100));
            t[i] = r == N ? 0 : (byte)a | (byte)b << 8 | (byte)r << 16;
        }
        return t;
    }

    /// <summary>For numeric opcodes (0x45..0xC4, 0xFC00..0xFC07): (first operand, second operand or Unknown, result).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool TryNumeric(ushort op, out ValType a, out ValType b, out ValType result) =>
        TryNumeric(Numeric, op, out a, out b, out result);

    /// <summary>
    /// The table <see cref="TryNumeric(ushort, out ValType, out ValType, out ValType)"/> reads, for a pass that looks up
    /// every instruction: precompiled (ReadyToRun) code reads another class's static through a helper call, which in a
    /// loop also spills every register the call may clobber; a caller holds the table in a field or local instead.
    /// </summary>
    public static int[] NumericTable => Numeric;

    /// <summary><see cref="TryNumeric(ushort, out ValType, out ValType, out ValType)"/> with <see cref="NumericTable"/> passed in.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool TryNumeric(int[] numeric, ushort op, out ValType a, out ValType b, out ValType result)
    {
        int e = NumericEntry(numeric, op);
        (a, b, result) = ((ValType)(byte)e, (ValType)(byte)(e >> 8), (ValType)(byte)(e >> 16));
        return e != 0;
    }

    /// <summary>
    /// <paramref name="op"/>'s packed signature in <see cref="NumericTable"/> (first operand, second operand or Unknown,
    /// result: a byte each from the lowest), 0 when it is not numeric: for a caller that tests before it unpacks.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int NumericEntry(int[] numeric, ushort op)
    {
        int i = op < 0x100 ? op : (uint)(op - 0xFC00) < 8 ? op - 0xFC00 + 0x100 : -1;
        return (uint)i < (uint)numeric.Length ? numeric[i] : 0;
    }

    /// <summary>The switch <see cref="TryNumeric(ushort, out ValType, out ValType, out ValType)"/> tabulates.</summary>
    internal static (ValType A, ValType B, ValType Result) NumericOf(ushort op) => op switch
    {
        0x45 => (I, N, I),
        >= 0x46 and <= 0x4F => (I, I, I),
        0x50 => (L, N, I),
        >= 0x51 and <= 0x5A => (L, L, I),
        >= 0x5B and <= 0x60 => (F, F, I),
        >= 0x61 and <= 0x66 => (D, D, I),
        >= 0x67 and <= 0x69 => (I, N, I),
        >= 0x6A and <= 0x78 => (I, I, I),
        >= 0x79 and <= 0x7B => (L, N, L),
        >= 0x7C and <= 0x8A => (L, L, L),
        >= 0x8B and <= 0x91 => (F, N, F),
        >= 0x92 and <= 0x98 => (F, F, F),
        >= 0x99 and <= 0x9F => (D, N, D),
        >= 0xA0 and <= 0xA6 => (D, D, D),
        0xA7 => (L, N, I),
        0xA8 or 0xA9 => (F, N, I),
        0xAA or 0xAB => (D, N, I),
        0xAC or 0xAD => (I, N, L),
        0xAE or 0xAF => (F, N, L),
        0xB0 or 0xB1 => (D, N, L),
        0xB2 or 0xB3 => (I, N, F),
        0xB4 or 0xB5 => (L, N, F),
        0xB6 => (D, N, F),
        0xB7 or 0xB8 => (I, N, D),
        0xB9 or 0xBA => (L, N, D),
        0xBB => (F, N, D),
        0xBC => (F, N, I),
        0xBD => (D, N, L),
        0xBE => (I, N, F),
        0xBF => (L, N, D),
        0xC0 or 0xC1 => (I, N, I),
        >= 0xC2 and <= 0xC4 => (L, N, L),
        0xFC00 or 0xFC01 => (F, N, I),
        0xFC02 or 0xFC03 => (D, N, I),
        0xFC04 or 0xFC05 => (F, N, L),
        0xFC06 or 0xFC07 => (D, N, L),
        _ => (N, N, N),
    };

    /// <summary>For load/store opcodes 0x28..0x3E: value type, access size in bytes, whether it is a store.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static (ValType Type, int Size, bool Store) Memory(ushort op) => Memory(MemoryOps, op);

    /// <summary>The table <see cref="Memory(ushort)"/> reads (see <see cref="NumericTable"/>).</summary>
    public static (ValType Type, int Size, bool Store)[] MemoryTable => MemoryOps;

    /// <summary><see cref="Memory(ushort)"/> with <see cref="MemoryTable"/> passed in.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static (ValType Type, int Size, bool Store) Memory((ValType Type, int Size, bool Store)[] memoryOps, ushort op) =>
        (uint)(op - 0x28) < (uint)memoryOps.Length ? memoryOps[op - 0x28] : NotMemory(op);

    // Memory's answers by opcode - 0x28, from its switch (a table: the validator, the cover pass and the
    // compiler each ask once per access, and the switch was too large to inline).
    private static readonly (ValType Type, int Size, bool Store)[] MemoryOps = BuildMemoryOps();

    private static (ValType, int, bool)[] BuildMemoryOps()
    {
        var t = new (ValType, int, bool)[0x3E - 0x28 + 1];
        for (int op = 0x28; op <= 0x3E; op++) t[op - 0x28] = MemorySwitch((ushort)op);
        return t;
    }

    private static (ValType, int, bool) NotMemory(ushort op) => MemorySwitch(op);

    private static (ValType Type, int Size, bool Store) MemorySwitch(ushort op) => op switch
    {
        0x28 => (I, 4, false), 0x29 => (L, 8, false), 0x2A => (F, 4, false), 0x2B => (D, 8, false),
        0x2C or 0x2D => (I, 1, false), 0x2E or 0x2F => (I, 2, false),
        0x30 or 0x31 => (L, 1, false), 0x32 or 0x33 => (L, 2, false), 0x34 or 0x35 => (L, 4, false),
        0x36 => (I, 4, true), 0x37 => (L, 8, true), 0x38 => (F, 4, true), 0x39 => (D, 8, true),
        0x3A => (I, 1, true), 0x3B => (I, 2, true), 0x3C => (L, 1, true), 0x3D => (L, 2, true), 0x3E => (L, 4, true),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}
