using System.Text;

namespace Pliant.Wasm.Tests;

/// <summary>Assembles small binary modules for tests (sections written by hand, bodies as raw opcodes).</summary>
internal sealed class ModuleBuilder
{
    private readonly List<byte[]> _types = [];
    private readonly List<byte[]> _imports = [];
    private readonly List<uint> _funcs = [];
    private readonly List<byte[]> _bodies = [];
    private readonly List<byte[]> _exports = [];
    private readonly List<(string Name, byte[] Data)> _customs = [];
    private readonly List<byte[]> _globals = [];
    private readonly List<byte[]> _elems = [];
    private byte[]? _memory;
    private byte[]? _table;
    private int _importedFuncs;

    public const byte I32 = 0x7F, I64 = 0x7E, F32 = 0x7D, F64 = 0x7C, V128 = 0x7B;

    public uint Type(byte[] ps, byte[] rs)
    {
        var b = new List<byte> { 0x60 };
        b.AddRange(U32((uint)ps.Length)); b.AddRange(ps);
        b.AddRange(U32((uint)rs.Length)); b.AddRange(rs);
        _types.Add([.. b]);
        return (uint)_types.Count - 1;
    }

    public uint ImportFunc(string module, string name, uint type)
    {
        _imports.Add([.. Name(module), .. Name(name), 0x00, .. U32(type)]);
        return (uint)_importedFuncs++;
    }

    /// <summary>Adds a function; <paramref name="code"/> excludes the final end. Returns its index.</summary>
    public uint Func(uint type, byte[] code, byte[]? locals = null, string? export = null) =>
        FuncWithLocals(type, code, (locals ?? []).Select(l => (1u, l)).ToArray(), export);

    /// <summary>Adds a function whose locals are declared in groups (count × type): a few bytes for any number of locals.</summary>
    public uint FuncWithLocals(uint type, byte[] code, (uint Count, byte Type)[] groups, string? export = null)
    {
        _funcs.Add(type);
        var body = new List<byte>();
        body.AddRange(U32((uint)groups.Length));
        foreach (var (count, t) in groups) { body.AddRange(U32(count)); body.Add(t); }
        body.AddRange(code);
        body.Add(0x0B);
        _bodies.Add([.. U32((uint)body.Count), .. body]);
        uint idx = (uint)(_importedFuncs + _funcs.Count - 1);
        if (export != null) _exports.Add([.. Name(export), 0x00, .. U32(idx)]);
        return idx;
    }

    /// <summary>Adds a mutable i32 global initialised to 0, exported as <paramref name="export"/>; returns its index.</summary>
    public uint GlobalI32(string? export = null)
    {
        _globals.Add([I32, 0x01, 0x41, 0x00, 0x0B]);
        uint idx = (uint)_globals.Count - 1;
        if (export != null) _exports.Add([.. Name(export), 0x03, .. U32(idx)]);
        return idx;
    }

    /// <summary>Adds a global of type <paramref name="type"/> with initialiser <paramref name="init"/> (without end); returns its index.</summary>
    public uint Global(byte type, bool mutable, byte[] init, string? export = null)
    {
        _globals.Add([type, mutable ? (byte)1 : (byte)0, .. init, 0x0B]);
        uint idx = (uint)_globals.Count - 1;
        if (export != null) _exports.Add([.. Name(export), 0x03, .. U32(idx)]);
        return idx;
    }

    /// <summary>An active element segment of table 0 at <paramref name="offset"/> holding <paramref name="funcs"/>.</summary>
    public ModuleBuilder Elem(int offset, params uint[] funcs)
    {
        var e = new List<byte> { 0x00 };
        e.AddRange(I32Const(offset));
        e.Add(0x0B);
        e.AddRange(U32((uint)funcs.Length));
        foreach (var f in funcs) e.AddRange(U32(f));
        _elems.Add([.. e]);
        return this;
    }

    public ModuleBuilder Memory(uint min, uint? max = null, string? export = "memory")
    {
        _memory = max is uint m ? [0x01, .. U32(min), .. U32(m)] : [0x00, .. U32(min)];
        if (export != null) _exports.Add([.. Name(export), 0x02, 0x00]);
        return this;
    }

    public ModuleBuilder Table(uint min, uint? max = null)
    {
        _table = max is uint m ? [0x70, 0x01, .. U32(min), .. U32(m)] : [0x70, 0x00, .. U32(min)];
        return this;
    }

    public ModuleBuilder Custom(string name, byte[] data)
    {
        _customs.Add((name, data));
        return this;
    }

    public byte[] Build()
    {
        var o = new List<byte> { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
        foreach (var (n, d) in _customs) Section(o, 0, [.. Name(n), .. d]);
        Vec(o, 1, _types);
        Vec(o, 2, _imports);
        if (_funcs.Count > 0)
        {
            var fs = new List<byte>(U32((uint)_funcs.Count));
            foreach (var f in _funcs) fs.AddRange(U32(f));
            Section(o, 3, [.. fs]);
        }
        if (_table != null) Section(o, 4, [0x01, .. _table]);
        if (_memory != null) Section(o, 5, [0x01, .. _memory]);
        Vec(o, 6, _globals);
        Vec(o, 7, _exports);
        Vec(o, 9, _elems);
        Vec(o, 10, _bodies);
        return [.. o];
    }

    private static void Vec(List<byte> o, byte id, List<byte[]> items)
    {
        if (items.Count == 0) return;
        var content = new List<byte>(U32((uint)items.Count));
        foreach (var item in items) content.AddRange(item);
        Section(o, id, [.. content]);
    }

    private static void Section(List<byte> o, byte id, byte[] content)
    {
        o.Add(id);
        o.AddRange(U32((uint)content.Length));
        o.AddRange(content);
    }

    public static byte[] Name(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return [.. U32((uint)b.Length), .. b];
    }

    public static byte[] U32(uint v)
    {
        var b = new List<byte>();
        do
        {
            byte x = (byte)(v & 0x7F);
            v >>= 7;
            if (v != 0) x |= 0x80;
            b.Add(x);
        } while (v != 0);
        return [.. b];
    }

    public static byte[] S32(int v)
    {
        var b = new List<byte>();
        while (true)
        {
            byte x = (byte)(v & 0x7F);
            v >>= 7;
            bool done = (v == 0 && (x & 0x40) == 0) || (v == -1 && (x & 0x40) != 0);
            b.Add(done ? x : (byte)(x | 0x80));
            if (done) return [.. b];
        }
    }

    public static byte[] S64(long v)
    {
        var b = new List<byte>();
        while (true)
        {
            byte x = (byte)(v & 0x7F);
            v >>= 7;
            bool done = (v == 0 && (x & 0x40) == 0) || (v == -1 && (x & 0x40) != 0);
            b.Add(done ? x : (byte)(x | 0x80));
            if (done) return [.. b];
        }
    }

    public static byte[] I32Const(int v) => [0x41, .. S32(v)];

    /// <summary>A SIMD instruction: 0xFD, the u32 sub-opcode, then its immediates.</summary>
    public static byte[] SimdInstr(uint sub, params byte[] immediates) => [0xFD, .. U32(sub), .. immediates];

    /// <summary><c>v128.const</c> of four i32 lanes (lane 0 first).</summary>
    public static byte[] V128Const(int l0, int l1, int l2, int l3) =>
        SimdInstr(12, [.. BitConverter.GetBytes(l0), .. BitConverter.GetBytes(l1), .. BitConverter.GetBytes(l2), .. BitConverter.GetBytes(l3)]);
}
