namespace Pliant.Wasm.Decoding;

/// <summary>Kind of an import or export.</summary>
public enum ExternKind : byte
{
    /// <summary>A function.</summary>
    Func = 0,
    /// <summary>A table.</summary>
    Table = 1,
    /// <summary>A memory.</summary>
    Memory = 2,
    /// <summary>A global.</summary>
    Global = 3,
}

/// <summary>Size limits of a memory (in pages) or table (in elements).</summary>
public readonly record struct Limits(ulong Min, ulong? Max);

/// <summary>Type of a table.</summary>
public readonly record struct TableType(ValType ElemType, Limits Limits);

/// <summary>Type of a global.</summary>
public readonly record struct GlobalType(ValType Type, bool Mutable);

/// <summary>An import: module name, field name and the imported entity's type.</summary>
public sealed class Import
{
    /// <summary>Module name.</summary>
    public required string Module { get; init; }
    /// <summary>Field name.</summary>
    public required string Name { get; init; }
    /// <summary>Kind of entity.</summary>
    public ExternKind Kind { get; init; }
    /// <summary>Type index (functions).</summary>
    public uint TypeIndex { get; init; }
    /// <summary>Table type (tables).</summary>
    public TableType Table { get; init; }
    /// <summary>Memory limits (memories).</summary>
    public Limits Memory { get; init; }
    /// <summary>Global type (globals).</summary>
    public GlobalType Global { get; init; }
}

/// <summary>An export: name, kind and index in the kind's index space.</summary>
public readonly record struct Export(string Name, ExternKind Kind, uint Index);

/// <summary>A constant expression (global initialiser, segment offset, element item).</summary>
public sealed class ConstExpr
{
    /// <summary>Decoded instructions, without the final <c>end</c>.</summary>
    public required Instr[] Code { get; init; }
    /// <summary>The instructions' wide immediates (see <see cref="FunctionBody.Tables"/>): a <c>v128.const</c>'s high half.</summary>
    public uint[][] Tables { get; init; } = [];
}

/// <summary>A global defined by the module.</summary>
public sealed class GlobalDef
{
    /// <summary>Type of the global.</summary>
    public GlobalType Type { get; init; }
    /// <summary>Initialiser.</summary>
    public required ConstExpr Init { get; init; }
}

/// <summary>Mode of an element or data segment.</summary>
public enum SegmentMode : byte
{
    /// <summary>Copied at instantiation.</summary>
    Active,
    /// <summary>Used by table.init/memory.init.</summary>
    Passive,
    /// <summary>Only declares references (elements).</summary>
    Declarative,
}

/// <summary>An element segment.</summary>
public sealed class ElementSegment
{
    /// <summary>Mode.</summary>
    public SegmentMode Mode { get; init; }
    /// <summary>Element type (funcref or externref).</summary>
    public ValType Type { get; init; }
    /// <summary>Table index (active).</summary>
    public uint Table { get; init; }
    /// <summary>Offset (active).</summary>
    public ConstExpr? Offset { get; init; }
    /// <summary>Items as constant expressions.</summary>
    public required ConstExpr[] Items { get; init; }
}

/// <summary>A data segment.</summary>
public sealed class DataSegment
{
    /// <summary>Mode (active or passive).</summary>
    public SegmentMode Mode { get; init; }
    /// <summary>Memory index (active).</summary>
    public uint Memory { get; init; }
    /// <summary>Offset (active).</summary>
    public ConstExpr? Offset { get; init; }
    /// <summary>The bytes.</summary>
    public required byte[] Bytes { get; init; }
}

/// <summary>A function body: locals and code.</summary>
public sealed class FunctionBody
{
    /// <summary>Declared locals (not including parameters), expanded.</summary>
    public required ValType[] Locals { get; init; }
    /// <summary>Instructions, including the final <c>end</c>.</summary>
    public required Instr[] Code { get; init; }
    /// <summary>
    /// The labels of each <c>br_table</c> (default last), the types of each typed <c>select</c> and the high half of
    /// each <c>v128.const</c> and <c>i8x16.shuffle</c> (<see cref="Instr.High"/>), in code order; such an instruction's
    /// <see cref="Instr.Imm"/> (for the high halves <see cref="Instr.Imm2"/>) is the index of its array here. Empty when
    /// the body has none.
    /// </summary>
    public uint[][] Tables { get; init; } = [];
    /// <summary>Size of the body in bytes.</summary>
    public int Size { get; init; }

    /// <summary>
    /// What the compiler's call graph needs from <see cref="Code"/>, gathered by the validator's walk over it (no walk of
    /// its own); null for a body the validator has not passed (the call graph then scans the code itself).
    /// </summary>
    internal BodyFacts? Facts;
}

/// <summary>A validated body's facts for <c>CallGraph</c> (see <c>CallGraph.BodyScan</c>, which it derives from them).</summary>
internal readonly struct BodyFacts
{
    /// <summary>Scalar loads and stores (opcodes 0x28-0x3E).</summary>
    public int ScalarAccesses { get; init; }
    /// <summary>Index of the first memory access (scalar or SIMD load or store), of the first i32 and of the first i64 rotate (or clz/ctz of an or); -1 for none.</summary>
    public int FirstMemory { get; init; }
    /// <summary>See <see cref="FirstMemory"/>.</summary>
    public int FirstRotate32 { get; init; }
    /// <summary>See <see cref="FirstMemory"/>.</summary>
    public int FirstRotate64 { get; init; }
    /// <summary>Whether the body has a loop.</summary>
    public bool HasLoop { get; init; }
    /// <summary>Whether the body has a <c>call_indirect</c>.</summary>
    public bool CallsIndirect { get; init; }
    /// <summary>The function index of each direct <c>call</c>, in code order (imports included).</summary>
    public int[] Calls { get; init; }
}

/// <summary>A custom section (name and raw contents).</summary>
public readonly record struct CustomSection(string Name, ReadOnlyMemory<byte> Data);
