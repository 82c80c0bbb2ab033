namespace Pliant.Wasm.Decoding;

/// <summary>
/// One decoded instruction. <see cref="Op"/> is the opcode byte, or <c>0xFC00 | sub</c> and
/// <c>0xFD00 | sub</c> for the 0xFC and 0xFD (SIMD) prefixes. Immediates: block type (s33) / index /
/// memarg offset / constant bits / lane index in <see cref="Imm"/>; memarg alignment or a second
/// index in <see cref="Imm2"/>; the high 8 bytes of a <c>v128.const</c> or shuffle (whose low 8 are
/// in <see cref="Imm"/>), or the lane index of a lane load/store, in <see cref="Imm3"/>; br_table
/// labels (default last) or select's types in <see cref="Table"/>. 32 bytes.
/// </summary>
public struct Instr
{
    /// <summary>Opcode.</summary>
    public ushort Op;
    /// <summary>First immediate.</summary>
    public long Imm;
    /// <summary>Second immediate.</summary>
    public uint Imm2;
    /// <summary>Third immediate (SIMD: high half of 16 immediate bytes, or a memory access's lane index).</summary>
    public long Imm3;
    /// <summary>br_table targets (default last) or typed-select types.</summary>
    public uint[]? Table;
}
