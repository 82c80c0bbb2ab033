namespace Pliant.Wasm.Decoding;

/// <summary>
/// One decoded instruction. <see cref="Op"/> is the opcode byte, or <c>0xFC00 | sub</c> for the
/// 0xFC prefix. Immediates: block type (s33) / index / memarg offset / constant bits in
/// <see cref="Imm"/>; memarg alignment or a second index in <see cref="Imm2"/>; br_table labels
/// (default last) or select's types in <see cref="Table"/>.
/// </summary>
public struct Instr
{
    /// <summary>Opcode.</summary>
    public ushort Op;
    /// <summary>First immediate.</summary>
    public long Imm;
    /// <summary>Second immediate.</summary>
    public uint Imm2;
    /// <summary>br_table targets (default last) or typed-select types.</summary>
    public uint[]? Table;
}
