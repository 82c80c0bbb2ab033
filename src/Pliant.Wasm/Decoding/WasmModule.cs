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

    /// <summary>Type of function <paramref name="index"/> in the function index space.</summary>
    public FuncType FunctionType(int index)
    {
        if (index < ImportedFunctionCount)
        {
            int i = 0;
            foreach (var imp in Imports)
                if (imp.Kind == ExternKind.Func && i++ == index) return Types[(int)imp.TypeIndex];
        }
        return Types[(int)Functions[index - ImportedFunctionCount]];
    }

    /// <summary>Returns the first custom section with the given name, or null.</summary>
    public ReadOnlyMemory<byte>? FindCustomSection(string name)
    {
        foreach (var c in CustomSections) if (c.Name == name) return c.Data;
        return null;
    }
}
