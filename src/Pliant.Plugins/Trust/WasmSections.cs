using System.Text;

namespace Pliant.Plugins.Trust;

/// <summary>
/// Just enough of the WebAssembly binary format (Core spec §5.5) to find, add and remove custom
/// sections without decoding the module: header, then sections of <c>id:u8 size:u32(LEB128) contents</c>;
/// a custom section (id 0) starts with its name as <c>vec(byte)</c>.
/// </summary>
public static class WasmSections
{
    private static ReadOnlySpan<byte> Header => [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

    /// <summary>Name of the custom section that holds the plugin manifest (JSON).</summary>
    public const string ManifestSection = "pliant.manifest";

    /// <summary>Name of the custom section that holds a signature (JSON); see docs/plugin-abi.md "Signing".</summary>
    public const string SignatureSection = "pliant.signature";

    /// <summary>One section of a module: where it is and, for custom sections, its name and payload.</summary>
    public readonly record struct Section(byte Id, int Start, int End, string? Name, int PayloadStart)
    {
        /// <summary>Length of the whole section (id, size and contents).</summary>
        public int Length => End - Start;
    }

    /// <summary>Lists the sections of <paramref name="wasm"/>; throws <see cref="FormatException"/> when malformed.</summary>
    public static List<Section> Read(ReadOnlySpan<byte> wasm)
    {
        if (wasm.Length < 8 || !wasm[..8].SequenceEqual(Header))
            throw new FormatException("not a WebAssembly 1.0 binary (bad magic or version)");
        var sections = new List<Section>();
        int pos = 8;
        while (pos < wasm.Length)
        {
            int start = pos;
            byte id = wasm[pos++];
            uint size = ReadU32(wasm, ref pos);
            if (size > (uint)(wasm.Length - pos)) throw new FormatException("section runs past the end of the module");
            int end = pos + (int)size;
            string? name = null;
            int payload = pos;
            if (id == 0)
            {
                // The name's length is read within the section: an empty section must not borrow the next bytes.
                uint nameLength = ReadU32(wasm[..end], ref payload);
                if (nameLength > (uint)(end - payload)) throw new FormatException("custom section name runs past the section");
                try { name = new UTF8Encoding(false, true).GetString(wasm.Slice(payload, (int)nameLength)); }
                catch (DecoderFallbackException) { throw new FormatException("custom section name is not UTF-8"); }
                payload += (int)nameLength;
            }
            sections.Add(new Section(id, start, end, name, payload));
            pos = end;
        }
        return sections;
    }

    /// <summary>Payloads of every custom section called <paramref name="name"/>, in order.</summary>
    public static List<byte[]> GetCustomSections(ReadOnlySpan<byte> wasm, string name)
    {
        var result = new List<byte[]>();
        foreach (var s in Read(wasm))
            if (s.Id == 0 && s.Name == name) result.Add(wasm[s.PayloadStart..s.End].ToArray());
        return result;
    }

    /// <summary>A copy of <paramref name="wasm"/> without the custom sections called <paramref name="name"/>.</summary>
    public static byte[] RemoveCustomSections(ReadOnlySpan<byte> wasm, string name)
    {
        var sections = Read(wasm);
        var output = new MemoryStream(wasm.Length);
        output.Write(wasm[..8]);
        foreach (var s in sections)
            if (!(s.Id == 0 && s.Name == name)) output.Write(wasm[s.Start..s.End]);
        return output.ToArray();
    }

    /// <summary>A copy of <paramref name="wasm"/> with a custom section appended (custom sections may go anywhere, spec §5.5.3).</summary>
    public static byte[] AppendCustomSection(ReadOnlySpan<byte> wasm, string name, ReadOnlySpan<byte> payload)
    {
        Read(wasm); // validate the framing first
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        var contents = new MemoryStream();
        WriteU32(contents, (uint)nameBytes.Length);
        contents.Write(nameBytes);
        contents.Write(payload);
        var output = new MemoryStream(wasm.Length + (int)contents.Length + 8);
        output.Write(wasm);
        output.WriteByte(0);
        WriteU32(output, (uint)contents.Length);
        contents.Position = 0;
        contents.CopyTo(output);
        return output.ToArray();
    }

    private static uint ReadU32(ReadOnlySpan<byte> data, ref int pos)
    {
        uint result = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            if (pos >= data.Length) throw new FormatException("truncated LEB128 integer");
            byte b = data[pos++];
            if (shift == 28 && (b & 0x70) != 0) throw new FormatException("LEB128 integer too large");
            result |= (uint)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new FormatException("LEB128 integer too long");
    }

    internal static void WriteU32(Stream s, uint value)
    {
        do
        {
            byte b = (byte)(value & 0x7f);
            value >>= 7;
            if (value != 0) b |= 0x80;
            s.WriteByte(b);
        } while (value != 0);
    }
}
