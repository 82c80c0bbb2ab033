namespace Pliant.Wasm.Decoding;

/// <summary>
/// Decodes the binary format (spec §5) into a <see cref="WasmModule"/>. Errors are <see cref="WasmMalformedException"/>.
/// Every count the input announces is checked against the bytes left and against <see cref="WasmLimits"/>
/// before anything is allocated for it, so the decoded module is at most a small multiple of the input
/// (an <see cref="Instr"/> is 32 bytes for at least one input byte).
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
public static class ModuleDecoder
{
    /// <summary>Decodes a module with <see cref="WasmLimits.Default"/>. Throws <see cref="WasmMalformedException"/> on malformed input.</summary>
    public static WasmModule Decode(ReadOnlyMemory<byte> bytes) => Decode(bytes, WasmLimits.Default);

    /// <summary>
    /// Decodes a module. Throws <see cref="WasmMalformedException"/> on malformed input and when a count
    /// exceeds a cap of <paramref name="limits"/> (the message names the cap).
    /// </summary>
    public static WasmModule Decode(ReadOnlyMemory<byte> bytes, WasmLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
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
                case 1:
                {
                    int n = ReadCount(ref s, limits.MaxTypes, "function types");
                    for (int i = 0; i < n; i++) m.Types.Add(ReadFuncType(ref s, limits.MaxTypeArity));
                    break;
                }
                case 2: ReadImports(ref s, m, limits); break;
                case 3:
                {
                    int n = ReadCount(ref s, limits.MaxFunctions - m.ImportedFunctionCount, "functions");
                    for (int i = 0; i < n; i++) m.Functions.Add(s.ReadU32());
                    functionCount = (uint)m.Functions.Count;
                    break;
                }
                case 4:
                {
                    int n = ReadCount(ref s, limits.MaxTables - m.ImportedTableCount, "tables");
                    for (int i = 0; i < n; i++) m.Tables.Add(ReadTableType(ref s));
                    break;
                }
                case 5: ReadVec(ref s, (ref WasmReader x) => m.Memories.Add(ReadLimits(ref x))); break;
                case 6:
                {
                    int n = ReadCount(ref s, limits.MaxGlobals - m.ImportedGlobalCount, "globals");
                    for (int i = 0; i < n; i++)
                    {
                        var gt = ReadGlobalType(ref s);
                        m.Globals.Add(new GlobalDef { Type = gt, Init = ReadConstExpr(ref s) });
                    }
                    break;
                }
                case 7:
                    ReadVec(ref s, limits.MaxExports, "exports", (ref WasmReader x) =>
                    {
                        string name = x.ReadName();
                        byte k = x.ReadByte();
                        if (k > 3) throw new WasmMalformedException("malformed export kind");
                        m.Exports.Add(new Export(name, (ExternKind)k, x.ReadU32()));
                    });
                    break;
                case 8: m.Start = s.ReadU32(); break;
                case 9:
                {
                    int n = ReadCount(ref s, limits.MaxElementSegments, "element segments");
                    int items = 0;
                    for (int i = 0; i < n; i++) m.Elements.Add(ReadElement(ref s, limits.MaxElementItems, ref items));
                    break;
                }
                case 12:
                    m.DataCount = s.ReadU32();
                    if (m.DataCount > (uint)limits.MaxDataSegments) throw CapExceeded("data segments", limits.MaxDataSegments);
                    break;
                case 10:
                {
                    sawCode = true;
                    uint n = s.ReadU32();
                    if ((functionCount ?? 0) != n) throw new WasmMalformedException("function and code section have inconsistent lengths");
                    var budget = new BodyBudget(limits);
                    for (uint i = 0; i < n; i++) m.Bodies.Add(ReadBody(ref s, m.DataCount.HasValue, ref budget));
                    break;
                }
                case 11:
                {
                    sawData = true;
                    uint n = s.ReadU32();
                    if (m.DataCount.HasValue && m.DataCount.Value != n)
                        throw new WasmMalformedException("data count and data section have inconsistent lengths");
                    if (n > (uint)limits.MaxDataSegments) throw CapExceeded("data segments", limits.MaxDataSegments);
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

    private static void ReadVec(ref WasmReader r, int cap, string what, ItemReader item)
    {
        int n = ReadCount(ref r, cap, what);
        for (int i = 0; i < n; i++) item(ref r);
    }

    /// <summary>
    /// Reads a vector length: at most one item per byte left (every item takes at least one), and at
    /// most <paramref name="cap"/> — checked before the caller allocates anything for the items.
    /// </summary>
    private static int ReadCount(ref WasmReader r, int cap, string what)
    {
        uint n = r.ReadU32();
        if (n > r.Length - r.Position) throw new WasmMalformedException("unexpected end of section or function");
        if (n > (uint)Math.Max(cap, 0)) throw CapExceeded(what, cap);
        return (int)n;
    }

    /// <summary>The error for a count over one of <see cref="WasmLimits"/>' caps.</summary>
    internal static WasmMalformedException CapExceeded(string what, int cap) =>
        new($"module exceeds the engine's cap of {Math.Max(cap, 0)} {what}");

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

    private static FuncType ReadFuncType(ref WasmReader r, int maxArity)
    {
        if (r.ReadByte() != 0x60) throw new WasmMalformedException("integer representation too long");
        return new FuncType(ReadValTypes(ref r, maxArity), ReadValTypes(ref r, maxArity));
    }

    private static ValType[] ReadValTypes(ref WasmReader r, int maxArity)
    {
        uint n = r.ReadU32();
        if (n > r.Length - r.Position) throw WasmReader.Eof();
        if (n > (uint)maxArity) throw CapExceeded("parameters or results in a function type", maxArity);
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

    private static void ReadImports(ref WasmReader r, WasmModule m, WasmLimits limits)
    {
        int n = ReadCount(ref r, limits.MaxImports, "imports");
        for (int i = 0; i < n; i++)
        {
            string mod = r.ReadName();
            string name = r.ReadName();
            byte kind = r.ReadByte();
            switch (kind)
            {
                case 0:
                    if (m.ImportedFunctionCount >= limits.MaxFunctions) throw CapExceeded("functions", limits.MaxFunctions);
                    m.Imports.Add(new Import { Module = mod, Name = name, Kind = ExternKind.Func, TypeIndex = r.ReadU32() });
                    m.ImportedFunctionCount++;
                    break;
                case 1:
                    if (m.ImportedTableCount >= limits.MaxTables) throw CapExceeded("tables", limits.MaxTables);
                    m.Imports.Add(new Import { Module = mod, Name = name, Kind = ExternKind.Table, Table = ReadTableType(ref r) });
                    m.ImportedTableCount++;
                    break;
                case 2:
                    m.Imports.Add(new Import { Module = mod, Name = name, Kind = ExternKind.Memory, Memory = ReadLimits(ref r) });
                    m.ImportedMemoryCount++;
                    break;
                case 3:
                    if (m.ImportedGlobalCount >= limits.MaxGlobals) throw CapExceeded("globals", limits.MaxGlobals);
                    m.Imports.Add(new Import { Module = mod, Name = name, Kind = ExternKind.Global, Global = ReadGlobalType(ref r) });
                    m.ImportedGlobalCount++;
                    break;
                default:
                    throw new WasmMalformedException("malformed import kind");
            }
        }
    }

    private static ConstExpr ReadConstExpr(ref WasmReader r) =>
        new() { Code = CodeDecoder.Decode(ref r, hasDataCount: true, includeEnd: false, out var tables), Tables = tables };

    private static ConstExpr FuncRefExpr(uint idx) =>
        new() { Code = [new Instr { Op = 0xD2, Imm = idx }] };

    private static ElementSegment ReadElement(ref WasmReader r, int maxItems, ref int itemsSoFar)
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
        if (n > (uint)(maxItems - itemsSoFar)) throw CapExceeded("element items", maxItems);
        itemsSoFar += (int)n;
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

    /// <summary>What the code section may still declare: locals summed over the module's functions.</summary>
    private struct BodyBudget(WasmLimits limits)
    {
        public readonly WasmLimits Limits = limits;
        public long Locals;
    }

    private static FunctionBody ReadBody(ref WasmReader r, bool hasDataCount, ref BodyBudget budget)
    {
        var limits = budget.Limits;
        uint size = r.ReadU32();
        int start = r.Position;
        if (size > r.Length - start) throw new WasmMalformedException("unexpected end of section or function");
        if (size > (uint)limits.MaxFunctionBodyBytes) throw CapExceeded("bytes in a function body", limits.MaxFunctionBodyBytes);
        int end = start + (int)size;
        var b = new WasmReader(r.Full[..end], start);
        // Two passes over the local declarations: counts are summed and checked against the caps
        // first, so a module cannot make us allocate for locals it only announces.
        uint groups = b.ReadU32();
        if (groups > (uint)(end - b.Position)) throw new WasmMalformedException("unexpected end");
        int declarations = b.Position;
        ulong total = 0;
        for (uint i = 0; i < groups; i++)
        {
            total += b.ReadU32();
            ReadValType(ref b);
            // Spec §5.5.13: more than 2^32-1 locals is malformed; our cap is far below.
            if (total > uint.MaxValue || total > (ulong)limits.MaxLocalsPerFunction) throw new WasmMalformedException("too many locals");
        }
        if (budget.Locals + (long)total > limits.MaxLocalsPerModule) throw CapExceeded("locals (summed over functions)", limits.MaxLocalsPerModule);
        budget.Locals += (long)total;
        var locals = total == 0 ? [] : new ValType[total]; // no allocation for a function without locals
        b.Position = declarations;
        for (int i = 0, k = 0; i < groups; i++)
        {
            int count = (int)b.ReadU32();
            locals.AsSpan(k, count).Fill(ReadValType(ref b));
            k += count;
        }
        var code = CodeDecoder.Decode(ref b, hasDataCount, includeEnd: true, out var tables, limits.MaxBrTableTargets);
        if (b.Position != end) throw new WasmMalformedException("section size mismatch");
        r.Position = end;
        return new FunctionBody { Locals = locals, Code = code, Tables = tables, Size = (int)size };
    }
}
