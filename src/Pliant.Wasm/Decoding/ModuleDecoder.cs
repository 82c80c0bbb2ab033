namespace Pliant.Wasm.Decoding;

/// <summary>Decodes the binary format (spec §5) into a <see cref="WasmModule"/>. Errors are <see cref="WasmMalformedException"/>.</summary>
public static class ModuleDecoder
{
    private const int MaxLocals = 50_000;

    /// <summary>Decodes a module. Throws <see cref="WasmMalformedException"/> on malformed input.</summary>
    public static WasmModule Decode(ReadOnlyMemory<byte> bytes)
    {
        var data = bytes.Span;
        var r = new WasmReader(data);
        var m = new WasmModule();
        if (data.Length < 4 || data[0] != 0 || data[1] != 0x61 || data[2] != 0x73 || data[3] != 0x6D)
            throw new WasmMalformedException("magic header not detected");
        r.Position = 4;
        if (data.Length < 8) throw new WasmMalformedException("unexpected end");
        if (r.ReadF32Bits() != 1) throw new WasmMalformedException("unknown binary version");

        CodeDecoder.DataIndexWithoutCount = false;
        bool sawData = false;
        int lastId = 0;
        uint? functionCount = null;
        bool sawCode = false;
        while (!r.AtEnd)
        {
            byte id = r.ReadByte();
            uint size = r.ReadU32();
            int start = r.Position;
            if (size > r.Length - start) throw new WasmMalformedException("unexpected end of section or function");
            int end = start + (int)size;
            if (id != 0)
            {
                int order = Order(id);
                if (order <= Order(lastId) && lastId != 0 || order == 0)
                    throw new WasmMalformedException(order == 0 ? "malformed section id" : "unexpected content after last section");
                lastId = id;
            }
            var s = new WasmReader(data[..end], start);
            switch (id)
            {
                case 0:
                {
                    string name = s.ReadName();
                    m.CustomSections.Add(new CustomSection(name, bytes[s.Position..end]));
                    s.Position = end;
                    break;
                }
                case 1: ReadVec(ref s, (ref WasmReader x) => m.Types.Add(ReadFuncType(ref x))); break;
                case 2: ReadImports(ref s, m); break;
                case 3:
                    ReadVec(ref s, (ref WasmReader x) => m.Functions.Add(x.ReadU32()));
                    functionCount = (uint)m.Functions.Count;
                    break;
                case 4: ReadVec(ref s, (ref WasmReader x) => m.Tables.Add(ReadTableType(ref x))); break;
                case 5: ReadVec(ref s, (ref WasmReader x) => m.Memories.Add(ReadLimits(ref x))); break;
                case 6:
                    ReadVec(ref s, (ref WasmReader x) =>
                    {
                        var gt = ReadGlobalType(ref x);
                        m.Globals.Add(new GlobalDef { Type = gt, Init = ReadConstExpr(ref x) });
                    });
                    break;
                case 7:
                    ReadVec(ref s, (ref WasmReader x) =>
                    {
                        string name = x.ReadName();
                        byte k = x.ReadByte();
                        if (k > 3) throw new WasmMalformedException("malformed export kind");
                        m.Exports.Add(new Export(name, (ExternKind)k, x.ReadU32()));
                    });
                    break;
                case 8: m.Start = s.ReadU32(); break;
                case 9: ReadVec(ref s, (ref WasmReader x) => m.Elements.Add(ReadElement(ref x))); break;
                case 12: m.DataCount = s.ReadU32(); break;
                case 10:
                {
                    sawCode = true;
                    uint n = s.ReadU32();
                    if ((functionCount ?? 0) != n) throw new WasmMalformedException("function and code section have inconsistent lengths");
                    for (uint i = 0; i < n; i++) m.Bodies.Add(ReadBody(ref s, m.DataCount.HasValue));
                    break;
                }
                case 11:
                {
                    sawData = true;
                    uint n = s.ReadU32();
                    if (m.DataCount.HasValue && m.DataCount.Value != n)
                        throw new WasmMalformedException("data count and data section have inconsistent lengths");
                    for (uint i = 0; i < n; i++) m.Data.Add(ReadData(ref s));
                    break;
                }
                default:
                    throw new WasmMalformedException("malformed section id");
            }
            if (s.Position != end) throw new WasmMalformedException("section size mismatch");
            r.Position = end;
        }
        if (CodeDecoder.DataIndexWithoutCount && sawData)
            throw new WasmMalformedException("data count section required");
        if (!sawCode && (functionCount ?? 0) != 0)
            throw new WasmMalformedException("function and code section have inconsistent lengths");
        if (m.DataCount.HasValue && m.DataCount.Value != 0 && m.Data.Count != m.DataCount.Value)
            throw new WasmMalformedException("data count and data section have inconsistent lengths");
        return m;
    }

    private static int Order(int id) => id switch
    {
        1 => 1, 2 => 2, 3 => 3, 4 => 4, 5 => 5, 6 => 6, 7 => 7, 8 => 8, 9 => 9, 12 => 10, 10 => 11, 11 => 12, _ => 0,
    };

    private delegate void ItemReader(ref WasmReader r);

    private static void ReadVec(ref WasmReader r, ItemReader item)
    {
        uint n = r.ReadU32();
        if (n > r.Length - r.Position) throw new WasmMalformedException("unexpected end of section or function");
        for (uint i = 0; i < n; i++) item(ref r);
    }

    internal static ValType ReadValType(ref WasmReader r)
    {
        byte b = r.ReadByte();
        return b switch
        {
            0x7F or 0x7E or 0x7D or 0x7C or 0x7B or 0x70 or 0x6F => (ValType)b,
            _ => throw new WasmMalformedException("malformed value type"),
        };
    }

    internal static ValType ReadRefType(ref WasmReader r)
    {
        byte b = r.ReadByte();
        return b switch
        {
            0x70 or 0x6F => (ValType)b,
            _ => throw new WasmMalformedException("malformed reference type"),
        };
    }

    private static FuncType ReadFuncType(ref WasmReader r)
    {
        if (r.ReadByte() != 0x60) throw new WasmMalformedException("integer representation too long");
        return new FuncType(ReadValTypes(ref r), ReadValTypes(ref r));
    }

    private static ValType[] ReadValTypes(ref WasmReader r)
    {
        uint n = r.ReadU32();
        if (n > r.Length - r.Position) throw WasmReader.Eof();
        var t = new ValType[n];
        for (int i = 0; i < n; i++) t[i] = ReadValType(ref r);
        return t;
    }

    private static Limits ReadLimits(ref WasmReader r)
    {
        byte flag = r.ReadByte();
        switch (flag)
        {
            case 0: return new Limits(r.ReadU32(), null);
            case 1:
                uint min = r.ReadU32();
                return new Limits(min, r.ReadU32());
            default:
                throw new WasmMalformedException("integer too large");
        }
    }

    private static TableType ReadTableType(ref WasmReader r)
    {
        var et = ReadRefType(ref r);
        return new TableType(et, ReadLimits(ref r));
    }

    private static GlobalType ReadGlobalType(ref WasmReader r)
    {
        var t = ReadValType(ref r);
        byte mut = r.ReadByte();
        if (mut > 1) throw new WasmMalformedException("malformed mutability");
        return new GlobalType(t, mut == 1);
    }

    private static void ReadImports(ref WasmReader r, WasmModule m)
    {
        uint n = r.ReadU32();
        if (n > r.Length - r.Position) throw WasmReader.Eof();
        for (uint i = 0; i < n; i++)
        {
            string mod = r.ReadName();
            string name = r.ReadName();
            byte kind = r.ReadByte();
            switch (kind)
            {
                case 0:
                    m.Imports.Add(new Import { Module = mod, Name = name, Kind = ExternKind.Func, TypeIndex = r.ReadU32() });
                    m.ImportedFunctionCount++;
                    break;
                case 1:
                    m.Imports.Add(new Import { Module = mod, Name = name, Kind = ExternKind.Table, Table = ReadTableType(ref r) });
                    m.ImportedTableCount++;
                    break;
                case 2:
                    m.Imports.Add(new Import { Module = mod, Name = name, Kind = ExternKind.Memory, Memory = ReadLimits(ref r) });
                    m.ImportedMemoryCount++;
                    break;
                case 3:
                    m.Imports.Add(new Import { Module = mod, Name = name, Kind = ExternKind.Global, Global = ReadGlobalType(ref r) });
                    m.ImportedGlobalCount++;
                    break;
                default:
                    throw new WasmMalformedException("malformed import kind");
            }
        }
    }

    private static ConstExpr ReadConstExpr(ref WasmReader r) =>
        new() { Code = CodeDecoder.Decode(ref r, hasDataCount: true, includeEnd: false) };

    private static ConstExpr FuncRefExpr(uint idx) =>
        new() { Code = [new Instr { Op = 0xD2, Imm = idx }] };

    private static ElementSegment ReadElement(ref WasmReader r)
    {
        uint flags = r.ReadU32();
        if (flags > 7) throw new WasmMalformedException("malformed elements segment kind");
        bool passiveOrDecl = (flags & 1) != 0;
        bool explicitTable = (flags & 2) != 0;
        bool exprs = (flags & 4) != 0;
        var mode = !passiveOrDecl ? SegmentMode.Active : explicitTable ? SegmentMode.Declarative : SegmentMode.Passive;
        uint table = 0;
        ConstExpr? offset = null;
        if (mode == SegmentMode.Active)
        {
            if (explicitTable) table = r.ReadU32();
            offset = ReadConstExpr(ref r);
        }
        ValType type = ValType.FuncRef;
        if (passiveOrDecl || explicitTable)
        {
            if (exprs) type = ReadRefType(ref r);
            else if (r.ReadByte() != 0) throw new WasmMalformedException("malformed element kind");
        }
        uint n = r.ReadU32();
        if (n > r.Length - r.Position) throw WasmReader.Eof();
        var items = new ConstExpr[n];
        for (int i = 0; i < n; i++) items[i] = exprs ? ReadConstExpr(ref r) : FuncRefExpr(r.ReadU32());
        return new ElementSegment { Mode = mode, Type = type, Table = table, Offset = offset, Items = items };
    }

    private static DataSegment ReadData(ref WasmReader r)
    {
        uint flags = r.ReadU32();
        uint mem = 0;
        ConstExpr? offset = null;
        var mode = SegmentMode.Active;
        switch (flags)
        {
            case 0: offset = ReadConstExpr(ref r); break;
            case 1: mode = SegmentMode.Passive; break;
            case 2: mem = r.ReadU32(); offset = ReadConstExpr(ref r); break;
            default: throw new WasmMalformedException("malformed data segment kind");
        }
        uint n = r.ReadU32();
        var bytes = r.ReadBytes(checked((int)Math.Min(n, int.MaxValue))).ToArray();
        return new DataSegment { Mode = mode, Memory = mem, Offset = offset, Bytes = bytes };
    }

    private static FunctionBody ReadBody(ref WasmReader r, bool hasDataCount)
    {
        uint size = r.ReadU32();
        int start = r.Position;
        if (size > r.Length - start) throw new WasmMalformedException("unexpected end of section or function");
        int end = start + (int)size;
        var b = new WasmReader(r.Full[..end], start);
        uint groups = b.ReadU32();
        ulong total = 0;
        var locals = new List<ValType>();
        for (uint i = 0; i < groups; i++)
        {
            uint count = b.ReadU32();
            var t = ReadValType(ref b);
            total += count;
            if (total > uint.MaxValue) throw new WasmMalformedException("too many locals");
            if (total > MaxLocals) throw new WasmMalformedException("too many locals");
            for (uint j = 0; j < count; j++) locals.Add(t);
        }
        var code = CodeDecoder.Decode(ref b, hasDataCount, includeEnd: true);
        if (b.Position != end) throw new WasmMalformedException("section size mismatch");
        r.Position = end;
        return new FunctionBody { Locals = [.. locals], Code = code, Size = (int)size };
    }
}
