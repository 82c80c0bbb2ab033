namespace Pliant.Wasm.Decoding;

/// <summary>A decoded (not yet validated) WebAssembly module: the abstract syntax of spec §2.5.</summary>
public sealed class WasmModule
{
    /// <summary>Function types (type section).</summary>
    public List<FuncType> Types { get; } = [];
    /// <summary>Imports in order.</summary>
    public List<Import> Imports { get; } = [];
    /// <summary>Type index of each module-defined function.</summary>
    public List<uint> Functions { get; } = [];
    /// <summary>Tables defined by the module.</summary>
    public List<TableType> Tables { get; } = [];
    /// <summary>Memories defined by the module.</summary>
    public List<Limits> Memories { get; } = [];
    /// <summary>Globals defined by the module.</summary>
    public List<GlobalDef> Globals { get; } = [];
    /// <summary>Exports.</summary>
    public List<Export> Exports { get; } = [];
    /// <summary>Start function index, if any.</summary>
    public uint? Start { get; set; }
    /// <summary>Element segments.</summary>
    public List<ElementSegment> Elements { get; } = [];
    /// <summary>Data count section value, if present.</summary>
    public uint? DataCount { get; set; }
    /// <summary>Function bodies, one per module-defined function.</summary>
    public List<FunctionBody> Bodies { get; } = [];
    /// <summary>Data segments.</summary>
    public List<DataSegment> Data { get; } = [];
    /// <summary>Custom sections in order of appearance (plugins carry their manifest in one).</summary>
    public List<CustomSection> CustomSections { get; } = [];

    /// <summary>Number of imported functions.</summary>
    public int ImportedFunctionCount { get; internal set; }
    /// <summary>Number of imported tables.</summary>
    public int ImportedTableCount { get; internal set; }
    /// <summary>Number of imported memories.</summary>
    public int ImportedMemoryCount { get; internal set; }
    /// <summary>Number of imported globals.</summary>
    public int ImportedGlobalCount { get; internal set; }

    /// <summary>Total functions (imported + defined).</summary>
    public int TotalFunctions => ImportedFunctionCount + Functions.Count;
    /// <summary>Total tables.</summary>
    public int TotalTables => ImportedTableCount + Tables.Count;
    /// <summary>Total memories.</summary>
    public int TotalMemories => ImportedMemoryCount + Memories.Count;
    /// <summary>Total globals.</summary>
    public int TotalGlobals => ImportedGlobalCount + Globals.Count;

    private FuncType[]? _functionTypes;

    /// <summary>Type of function <paramref name="index"/> in the function index space.</summary>
    public FuncType FunctionType(int index)
    {
        if (_functionTypes == null || _functionTypes.Length != TotalFunctions)
        {
            var all = new List<FuncType>(TotalFunctions);
            foreach (var imp in Imports)
                if (imp.Kind == ExternKind.Func) all.Add(Types[(int)imp.TypeIndex]);
            foreach (var f in Functions) all.Add(Types[(int)f]);
            _functionTypes = [.. all];
        }
        return _functionTypes[index];
    }

    private GlobalType[]? _globalTypes;
    private TableType[]? _tableTypes;

    // Plain loops, not LINQ: iterators over these value types are generic code ReadyToRun leaves to the JIT
    // at a process's first compile.

    /// <summary>Type of global <paramref name="index"/> in the global index space.</summary>
    public GlobalType GlobalTypeAt(int index)
    {
        if (_globalTypes == null || _globalTypes.Length != TotalGlobals)
        {
            var all = new GlobalType[Count(ExternKind.Global) + Globals.Count];
            int n = 0;
            foreach (var imp in Imports)
                if (imp.Kind == ExternKind.Global) all[n++] = imp.Global;
            foreach (var g in Globals) all[n++] = g.Type;
            _globalTypes = all;
        }
        return _globalTypes[index];
    }

    /// <summary>Type of table <paramref name="index"/> in the table index space.</summary>
    public TableType TableTypeAt(int index)
    {
        if (_tableTypes == null || _tableTypes.Length != TotalTables)
        {
            var all = new TableType[Count(ExternKind.Table) + Tables.Count];
            int n = 0;
            foreach (var imp in Imports)
                if (imp.Kind == ExternKind.Table) all[n++] = imp.Table;
            foreach (var t in Tables) all[n++] = t;
            _tableTypes = all;
        }
        return _tableTypes[index];
    }

    private int Count(ExternKind kind)
    {
        int n = 0;
        foreach (var imp in Imports)
            if (imp.Kind == kind) n++;
        return n;
    }

    /// <summary>Returns the first custom section with the given name, or null.</summary>
    public ReadOnlyMemory<byte>? FindCustomSection(string name)
    {
        foreach (var c in CustomSections) if (c.Name == name) return c.Data;
        return null;
    }
}
