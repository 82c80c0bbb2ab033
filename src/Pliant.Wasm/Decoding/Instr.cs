namespace Pliant.Wasm.Decoding;

/// <summary>
/// One decoded instruction. <see cref="Op"/> is the opcode byte, or <c>0xFC00 | sub</c> and
/// <c>0xFD00 | sub</c> for the 0xFC and 0xFD (SIMD) prefixes. Immediates: block type (s33) / index /
/// memarg offset / constant bits / lane index in <see cref="Imm"/>; memarg alignment or a second
/// index in <see cref="Imm2"/>; the lane index of a lane load/store in <see cref="Imm3"/>. The rarely used
/// wide immediates are in the body's <see cref="FunctionBody.Tables"/> (a constant expression's
/// <see cref="ConstExpr.Tables"/>): a br_table's labels (default last) and a typed select's types at index
/// <see cref="Imm"/>; the high 8 bytes of a <c>v128.const</c> or <c>i8x16.shuffle</c> (whose low 8 are in
/// <see cref="Imm"/>) at index <see cref="Imm2"/>, read with <see cref="High"/>. 16 bytes and no references:
/// every pass over a body walks these arrays, and the garbage collector never scans them.
/// </summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
public struct Instr
{
    // Declared widest first: sequential layout without padding holes (8 + 4 + 2 + 1, rounded to 16).

    /// <summary>First immediate (for br_table and typed select: the index of its array in <see cref="FunctionBody.Tables"/>).</summary>
    public long Imm;
    /// <summary>Second immediate (for v128.const and i8x16.shuffle: the index of the high half in <see cref="FunctionBody.Tables"/>).</summary>
    public uint Imm2;
    /// <summary>Opcode.</summary>
    public ushort Op;
    /// <summary>Third immediate: a SIMD lane load's or store's lane index.</summary>
    public byte Imm3;

    /// <summary>
    /// The high 8 of a <c>v128.const</c>'s or <c>i8x16.shuffle</c>'s 16 immediate bytes (the low 8 are <see cref="Imm"/>),
    /// little-endian; <paramref name="tables"/> is the body's <see cref="FunctionBody.Tables"/> (or the expression's
    /// <see cref="ConstExpr.Tables"/>).
    /// </summary>
    public readonly long High(uint[][] tables)
    {
        var t = tables[Imm2];
        return t[0] | (long)t[1] << 32;
    }
}
