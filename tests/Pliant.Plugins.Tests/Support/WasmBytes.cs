using System.Text;

namespace Pliant.Plugins.Tests.Support;

/// <summary>Edits .wasm bytes: replaces the manifest custom section.</summary>
public static class WasmBytes
{
    public static byte[] WithManifest(byte[] wasm, string json)
    {
        var output = new List<byte>(wasm[..8]);
        int pos = 8;
        while (pos < wasm.Length)
        {
            int start = pos;
            byte id = wasm[pos++];
            uint size = ReadU32(wasm, ref pos);
            int end = pos + (int)size;
            bool drop = false;
            if (id == 0)
            {
                int p = pos;
                uint nameLen = ReadU32(wasm, ref p);
                drop = Encoding.UTF8.GetString(wasm, p, (int)nameLen) == PluginManifest.SectionName;
            }
            if (!drop) output.AddRange(wasm[start..end]);
            pos = end;
        }
        var name = Encoding.UTF8.GetBytes(PluginManifest.SectionName);
        var body = new List<byte>();
        WriteU32(body, (uint)name.Length);
        body.AddRange(name);
        body.AddRange(Encoding.UTF8.GetBytes(json));
        output.Add(0);
        WriteU32(output, (uint)body.Count);
        output.AddRange(body);
        return [.. output];
    }

    /// <summary>
    /// A module of <paramref name="functions"/> functions <c>() -> ()</c>, each declaring
    /// <paramref name="localsEach"/> i64 locals in one group and doing nothing, with a manifest.
    /// </summary>
    public static byte[] Functions(int functions, uint localsEach = 0)
    {
        var o = new List<byte> { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
        Section(o, 1, [0x01, 0x60, 0x00, 0x00]);
        var funcs = new List<byte>();
        WriteU32(funcs, (uint)functions);
        funcs.AddRange(new byte[functions]);
        Section(o, 3, funcs);
        Section(o, 5, [0x01, 0x00, 0x01]);
        var body = new List<byte>();
        if (localsEach > 0) { body.Add(1); WriteU32(body, localsEach); body.Add(0x7e); } else body.Add(0);
        body.Add(0x0b);
        var code = new List<byte>();
        WriteU32(code, (uint)functions);
        for (int i = 0; i < functions; i++) { WriteU32(code, (uint)body.Count); code.AddRange(body); }
        Section(o, 10, code);
        return WithManifest([.. o], "{\"id\":\"shape\"}");
    }

    private static void Section(List<byte> o, byte id, List<byte> content)
    {
        o.Add(id);
        WriteU32(o, (uint)content.Count);
        o.AddRange(content);
    }

    private static uint ReadU32(byte[] b, ref int pos)
    {
        uint v = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte x = b[pos++];
            v |= (uint)(x & 0x7f) << shift;
            if ((x & 0x80) == 0) return v;
        }
    }

    private static void WriteU32(List<byte> o, uint v)
    {
        do
        {
            byte x = (byte)(v & 0x7f);
            v >>= 7;
            if (v != 0) x |= 0x80;
            o.Add(x);
        } while (v != 0);
    }
}
