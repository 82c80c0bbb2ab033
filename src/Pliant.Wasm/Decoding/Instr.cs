namespace Pliant.Wasm.Decoding;

/// <summary>
/// One decoded instruction. <see cref="Op"/> is the opcode byte, or <c>0xFC00 | sub</c> and
/// <c>0xFD00 | sub</c> for the 0xFC and 0xFD (SIMD) prefixes. Immediates: block type (s33) / index /
/// memarg offset / constant bits / lane index in <see cref="Imm"/>; memarg alignment or a second
/// index in <see cref="Imm2"/>; the high 8 bytes of a <c>v128.const</c> or shuffle (whose low 8 are
/// in <see cref="Imm"/>), or the lane index of a lane load/store, in <see cref="Imm3"/>. A br_table's
/// labels (default last) and a typed select's types are in the body's <see cref="FunctionBody.Tables"/>,
/// at index <see cref="Imm"/>. 24 bytes and no references: every pass over a body walks these arrays,
/// and the garbage collector never scans them.
/// </summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
public struct Instr
{
    // Declared widest first: sequential layout without padding holes (8 + 8 + 4 + 2, rounded to 24).

    /// <summary>First immediate (for br_table and typed select: the index of its array in <see cref="FunctionBody.Tables"/>).</summary>
    public long Imm;
    /// <summary>Third immediate (SIMD: high half of 16 immediate bytes, or a memory access's lane index).</summary>
    public long Imm3;
    /// <summary>Second immediate.</summary>
    public uint Imm2;
    /// <summary>Opcode.</summary>
    public ushort Op;
}
