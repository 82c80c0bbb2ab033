namespace Pliant.Wasm.Decoding;

/// <summary>Decodes instruction sequences (spec §5.4) into <see cref="Instr"/> arrays.</summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal static class CodeDecoder
{
    /// <summary>Set when memory.init/data.drop is decoded without a data count section (checked by the module decoder).</summary>
    [ThreadStatic] public static bool DataIndexWithoutCount;

    // Instructions of the sequence being decoded, reused by the thread's next sequence: one exact-size array
    // per sequence instead of a list's doubling copies (each a garbage array of 16-byte elements, over 85 KB
    // a large-object-heap one). A buffer grown past MaxKeptScratch (128 KiB) is not kept for the thread.
    [ThreadStatic] private static Instr[]? _scratch;
    private const int MaxKeptScratch = 8192;

    /// <summary>
    /// Decodes instructions up to and including the <c>end</c> that closes the sequence.
    /// When <paramref name="includeEnd"/> is false the final end is dropped. <paramref name="tables"/>: the
    /// br_table label, typed-select type and 16-byte-immediate high-half arrays, in order (<see cref="FunctionBody.Tables"/>; an instruction's
    /// <see cref="Instr.Imm"/>, for the high halves <see cref="Instr.Imm2"/>, is its index here); empty when the sequence has none.
    /// </summary>
    public static Instr[] Decode(ref WasmReader r, bool hasDataCount, bool includeEnd, out uint[][] tables, int maxBrTableTargets = int.MaxValue)
    {
        var buf = _scratch ?? new Instr[256];
        _scratch = null;
        // On malformed input the exception leaves the buffer behind: the thread's next sequence allocates a new one.
        List<uint[]>? found = null;
        int n = DecodeInto(ref r, ref buf, hasDataCount, includeEnd, maxBrTableTargets, ref found);
        // Every element is written by the copy: no zeroing first for an array of 2 KiB and more (what
        // AllocateUninitializedArray skips it for; a smaller one directly, without the generic call).
        var code = n < 2048 / 16 ? new Instr[n] : GC.AllocateUninitializedArray<Instr>(n);
        buf.AsSpan(0, n).CopyTo(code);
        if (buf.Length <= MaxKeptScratch) _scratch = buf;
        tables = found == null ? [] : found.ToArray();
        return code;
    }

    /// <summary>
    /// The loop of <see cref="Decode"/>, into <paramref name="buffer"/> (replaced when it grows); returns the count.
    /// Runs of the common shapes go to <see cref="DecodeCommon"/>, whose loop has no call in it (here, around
    /// DecodeOne's call, the JIT kept the loop's values on the stack); the instruction that ends a run, here.
    /// </summary>
    private static int DecodeInto(ref WasmReader r, ref Instr[] buffer, bool hasDataCount, bool includeEnd, int maxBrTableTargets, ref List<uint[]>? tables)
    {
        var buf = buffer;
        var shapes = Shapes;
        int n = 0;
        int depth = 0;
        while (true)
        {
            int p = r.Position;
            if (n == buf.Length)
            {
                // Every instruction takes at least one byte: the sequence holds at most n + bytes left.
                int grown = (int)Math.Min((long)buf.Length * 2, (long)n + (r.Length - p) + 1);
                buf = Grown(buf, Math.Max(grown, n + 1));
            }
            n = DecodeCommon(r.Full, ref p, buf, n, shapes, ref depth);
            r.Position = p;
            if (n == buf.Length) continue;
            ref var ins = ref buf[n];
            byte op = r.ReadByte(); // at the end of the data: "unexpected end"
            DecodeOne(ref r, op, hasDataCount, maxBrTableTargets, ref ins, ref tables);
            switch (ins.Op)
            {
                case 0x02 or 0x03 or 0x04: depth++; break;
                case 0x0B:
                    if (depth == 0)
                    {
                        if (includeEnd) n++;
                        buffer = buf;
                        return n;
                    }
                    depth--;
                    break;
            }
            n++;
        }
    }

    /// <summary>
    /// Decodes instructions of the common shapes from <paramref name="position"/> into <paramref name="buf"/> from index
    /// <paramref name="n"/> while there is room; returns the new count, with <paramref name="position"/> after the last.
    /// Also <c>block loop if</c> with a one-byte block type that is valid (<paramref name="depth"/> + 1) and an <c>end</c>
    /// inside the sequence (<paramref name="depth"/> - 1). Stops before any other instruction, an immediate longer than
    /// this reads (one or two bytes; a memarg of one byte each), the sequence's own end and the end of the data:
    /// <see cref="DecodeOne"/> reads that one (the same reads as its cases for these shapes, with the reader's checks and errors).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int DecodeCommon(ReadOnlySpan<byte> data, ref int position, Instr[] buf, int n, Shape[] shapes, ref int depth)
    {
        int p = position;
        int d = depth;
        while ((uint)n < (uint)buf.Length && (uint)p < (uint)data.Length)
        {
            byte op = data[p];
            var shape = shapes[op];
            if (shape == Shape.None)
            {
                buf[n++] = new Instr { Op = op };
                p++;
                continue;
            }
            if (shape is Shape.Index or Shape.I32)
            {
                long imm;
                if ((uint)(p + 1) < (uint)data.Length && data[p + 1] < 0x80)
                {
                    // One byte: an index, or an s32 in [-64, 63] whose bit 6 is the sign (spec §5.2.2).
                    imm = shape == Shape.Index ? data[p + 1] : (sbyte)(byte)(data[p + 1] << 1) >> 1;
                    p += 2;
                }
                else if ((uint)(p + 2) < (uint)data.Length && data[p + 2] < 0x80)
                {
                    // Two bytes (a first with its continuation bit, a last without): 14 bits, never malformed; for
                    // an s32 bit 13 is the sign (i32.const 64..8191 and -8192..-65, common addresses and masks).
                    int v = (data[p + 1] & 0x7F) | data[p + 2] << 7;
                    imm = shape == Shape.Index ? v : v << 18 >> 18;
                    p += 3;
                }
                else break;
                buf[n++] = new Instr { Op = op, Imm = imm };
                continue;
            }
            // Alignment (under 32: "malformed memop flags" otherwise) and offset, one byte each.
            if (shape == Shape.Memarg && (uint)(p + 2) < (uint)data.Length && data[p + 1] < 32 && data[p + 2] < 0x80)
            {
                buf[n++] = new Instr { Op = op, Imm2 = data[p + 1], Imm = data[p + 2] };
                p += 3;
                continue;
            }
            if (shape == Shape.End && d > 0)
            {
                buf[n++] = new Instr { Op = op };
                d--;
                p++;
                continue;
            }
            // A block type of one byte (spec §5.4.1): 0x40 (empty), a value type, or a type index under 64 (an s33
            // whose bit 6 is the sign: negative values are the empty and value types); others by ReadBlockType.
            if (shape == Shape.Block && (uint)(p + 1) < (uint)data.Length && data[p + 1] < 0x80 && IsBlockTypeByte(data[p + 1]))
            {
                buf[n++] = new Instr { Op = op, Imm = (sbyte)(byte)(data[p + 1] << 1) >> 1 };
                d++;
                p += 2;
                continue;
            }
            break;
        }
        position = p;
        depth = d;
        return n;
    }

    /// <summary>
    /// Whether a one-byte block type is one <see cref="ReadBlockType"/> accepts: a type index (0-63), 0x40 (empty), or
    /// one of the value types i32 i64 f32 f64 v128 (0x7F-0x7B), funcref (0x70) and externref (0x6F).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool IsBlockTypeByte(byte b) => b < 0x40 || b == 0x40 || b >= 0x7B || b is 0x70 or 0x6F;

    private static Instr[] Grown(Instr[] buf, int length)
    {
        var grown = new Instr[length];
        buf.AsSpan().CopyTo(grown);
        return grown;
    }

    /// <summary>How <see cref="Decode"/> reads an opcode's immediates itself; <see cref="Shape.Other"/>: by <see cref="DecodeOne"/>.</summary>
    private enum Shape : byte
    {
        Other,
        /// <summary>No immediate, and neither opens nor closes a block.</summary>
        None,
        /// <summary>One u32 (an index or a label).</summary>
        Index,
        Memarg,
        /// <summary>An s32 (i32.const).</summary>
        I32,
        /// <summary>A block type (block, loop, if).</summary>
        Block,
        /// <summary>No immediate; closes a block.</summary>
        End,
    }

    // Shape of each opcode byte: the plain numeric, local, global, branch, call, memory and i32.const instructions
    // that make up most of a body (DecodeOne's cases for them, tabulated).
    private static readonly Shape[] Shapes = BuildShapes();

    private static Shape[] BuildShapes()
    {
        var t = new Shape[0x100];
        for (int op = 0; op < t.Length; op++)
        {
            t[op] = op switch
            {
                0x00 or 0x01 or 0x0F or 0x1A or 0x1B or 0xD1 or (>= 0x45 and <= 0xC4) => Shape.None,
                0x0C or 0x0D or 0x10 or (>= 0x20 and <= 0x26) or 0xD2 => Shape.Index,
                >= 0x28 and <= 0x3E => Shape.Memarg,
                0x41 => Shape.I32,
                0x02 or 0x03 or 0x04 => Shape.Block,
                0x0B => Shape.End,
                _ => Shape.Other,
            };
        }
        return t;
    }

    private static void DecodeOne(ref WasmReader r, byte op, bool hasDataCount, int maxBrTableTargets, ref Instr ins, ref List<uint[]>? tables)
    {
        ins = new Instr { Op = op };
        switch (op)
        {
            case 0x00 or 0x01 or 0x05 or 0x0B or 0x0F or 0x1A or 0x1B or 0xD1:
                break;
            case 0x02 or 0x03 or 0x04:
                ins.Imm = ReadBlockType(ref r);
                break;
            case 0x0C or 0x0D or 0x10 or 0x20 or 0x21 or 0x22 or 0x23 or 0x24 or 0x25 or 0x26 or 0xD2:
                ins.Imm = r.ReadU32();
                break;
            case 0x0E:
            {
                uint n = r.ReadU32();
                if (n > r.Length - r.Position) throw WasmReader.Eof();
                if (n >= (uint)maxBrTableTargets) throw ModuleDecoder.CapExceeded("targets in a br_table", maxBrTableTargets);
                var t = new uint[n + 1];
                for (int i = 0; i <= n; i++) t[i] = r.ReadU32();
                ins.Imm = AddTable(ref tables, t);
                break;
            }
            case 0x11:
                ins.Imm = r.ReadU32();
                ins.Imm2 = r.ReadU32();
                break;
            case 0x1C:
            {
                uint n = r.ReadU32();
                if (n > r.Length - r.Position) throw WasmReader.Eof();
                var t = new uint[n];
                for (int i = 0; i < n; i++) t[i] = (uint)ModuleDecoder.ReadValType(ref r);
                ins.Imm = AddTable(ref tables, t);
                break;
            }
            case >= 0x28 and <= 0x3E:
                ReadMemarg(ref r, ref ins);
                break;
            case 0x3F or 0x40:
                if (r.ReadByte() != 0) throw new WasmMalformedException("zero byte expected");
                break;
            case 0x41: ins.Imm = r.ReadS32(); break;
            case 0x42: ins.Imm = r.ReadS64(); break;
            case 0x43: ins.Imm = r.ReadF32Bits(); break;
            case 0x44: ins.Imm = (long)r.ReadF64Bits(); break;
            case >= 0x45 and <= 0xC4:
                break;
            case 0xD0:
                ins.Imm = (long)ModuleDecoder.ReadRefType(ref r);
                break;
            case 0xFC:
                DecodeFc(ref r, ref ins, hasDataCount);
                break;
            case 0xFD:
                DecodeFd(ref r, ref ins, ref tables);
                break;
            default:
                throw new WasmMalformedException("illegal opcode");
        }
    }

    /// <summary>Appends a br_table's labels, a typed select's types or a 16-byte immediate's high half to the sequence's tables; returns its index.</summary>
    private static int AddTable(ref List<uint[]>? tables, uint[] table)
    {
        tables ??= [];
        tables.Add(table);
        return tables.Count - 1;
    }

    private static void DecodeFc(ref WasmReader r, ref Instr ins, bool hasDataCount)
    {
        uint sub = r.ReadU32();
        if (sub > 17) throw new WasmMalformedException("illegal opcode");
        ins.Op = (ushort)(0xFC00 | sub);
        switch (sub)
        {
            case <= 7: break;
            case 8:
                if (!hasDataCount) DataIndexWithoutCount = true;
                ins.Imm = r.ReadU32();
                if (r.ReadByte() != 0) throw new WasmMalformedException("zero byte expected");
                break;
            case 9:
                if (!hasDataCount) DataIndexWithoutCount = true;
                ins.Imm = r.ReadU32();
                break;
            case 10:
                if (r.ReadByte() != 0 || r.ReadByte() != 0) throw new WasmMalformedException("zero byte expected");
                break;
            case 11:
                if (r.ReadByte() != 0) throw new WasmMalformedException("zero byte expected");
                break;
            case 12 or 14:
                ins.Imm = r.ReadU32();
                ins.Imm2 = r.ReadU32();
                break;
            case 13 or 15 or 16 or 17:
                ins.Imm = r.ReadU32();
                break;
        }
    }

    /// <summary>
    /// SIMD (spec §5.4.8): a u32 sub-opcode, then a memarg, a lane index byte, a memarg and a lane
    /// index, or 16 bytes. Lane indices are range-checked by validation, not here.
    /// </summary>
    private static void DecodeFd(ref WasmReader r, ref Instr ins, ref List<uint[]>? tables)
    {
        uint sub = r.ReadU32();
        var op = SimdOpInfo.Get(sub);
        if (op.Kind == SimdKind.None) throw new WasmMalformedException("illegal opcode");
        ins.Op = (ushort)(0xFD00 | sub);
        switch (op.Kind)
        {
            case SimdKind.Load or SimdKind.Store:
                ReadMemarg(ref r, ref ins);
                break;
            case SimdKind.LoadLane or SimdKind.StoreLane:
                ReadMemarg(ref r, ref ins);
                ins.Imm3 = r.ReadByte();
                break;
            case SimdKind.Extract or SimdKind.Replace:
                ins.Imm = r.ReadByte();
                break;
            case SimdKind.Const or SimdKind.Shuffle:
            {
                var bytes = r.ReadBytes(16);
                ins.Imm = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes);
                // The high half in the sequence's tables (Instr.High): two little-endian u32 words.
                uint[] high = [System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..])];
                ins.Imm2 = (uint)AddTable(ref tables, high);
                break;
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void ReadMemarg(ref WasmReader r, ref Instr ins)
    {
        ins.Imm2 = r.ReadU32();
        if (ins.Imm2 >= 32) throw new WasmMalformedException("malformed memop flags");
        ins.Imm = r.ReadU32();
    }

    private static long ReadBlockType(ref WasmReader r)
    {
        long bt = r.ReadS33();
        if (bt >= 0) return bt;
        switch (bt)
        {
            case -64: case -1: case -2: case -3: case -4: case -5: case -16: case -17:
                return bt;
            default:
                throw new WasmMalformedException("malformed value type");
        }
    }

    /// <summary>Maps a negative block type (single value type) to its value type.</summary>
    public static ValType BlockValType(long bt) => (ValType)(byte)(bt & 0x7F);
}
