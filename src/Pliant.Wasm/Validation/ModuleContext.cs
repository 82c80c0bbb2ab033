using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Validation;

/// <summary>The validation context C of spec §3.1.1, built from a module.</summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal sealed class ModuleContext
{
    private readonly WasmModule _m;
    private readonly List<FuncType> _funcs = [];
    private readonly List<TableType> _tables = [];
    private readonly List<Limits> _mems = [];
    // An array, not a List<GlobalType>: no generic code over that value type for the JIT at a first compile.
    private GlobalType[] _globals = [];
    private int _globalCount;

    public ModuleContext(WasmModule m)
    {
        _m = m;
        foreach (var imp in m.Imports)
        {
            switch (imp.Kind)
            {
                case ExternKind.Func: _funcs.Add(Type(imp.TypeIndex)); break;
                case ExternKind.Table: _tables.Add(imp.Table); break;
                case ExternKind.Memory: _mems.Add(imp.Memory); break;
                case ExternKind.Global: AddGlobal(imp.Global); break;
            }
        }
        foreach (var f in m.Functions) _funcs.Add(Type(f));
        _tables.AddRange(m.Tables);
        _mems.AddRange(m.Memories);
    }

    /// <summary>Globals visible so far (imports, then each defined global once validated).</summary>
    public int GlobalCount => _globalCount;

    public void AddGlobal(GlobalType g)
    {
        if (_globalCount == _globals.Length) Array.Resize(ref _globals, Math.Max(4, 2 * _globalCount));
        _globals[_globalCount++] = g;
    }

    // C.refs (spec §3.4.10): function indices referenced outside function bodies, one flag per function.
    private bool[]? _refs;

    /// <summary>Adds <paramref name="index"/> to C.refs (an index of no function is checked where it occurs).</summary>
    public void AddRef(long index)
    {
        _refs ??= new bool[_funcs.Count];
        if (index >= 0 && index < _refs.Length) _refs[index] = true;
    }

    /// <summary>Whether C.refs holds function <paramref name="index"/>.</summary>
    public bool IsRef(long index) => _refs != null && index >= 0 && index < _refs.Length && _refs[index];

    private static WasmInvalidException Err(string m) => new(m);

    public FuncType Type(long i) => i >= 0 && i < _m.Types.Count ? _m.Types[(int)i] : throw Err("unknown type");

    public FuncType Func(long i) => i >= 0 && i < _funcs.Count ? _funcs[(int)i] : throw Err("unknown function");

    public TableType Table(long i) => i >= 0 && i < _tables.Count ? _tables[(int)i] : throw Err("unknown table");

    public Limits Memory(long i) => i >= 0 && i < _mems.Count ? _mems[(int)i] : throw Err("unknown memory");

    public GlobalType Global(long i) => i >= 0 && i < _globalCount ? _globals[(int)i] : throw Err("unknown global");

    public ValType Elem(long i) => i >= 0 && i < _m.Elements.Count ? _m.Elements[(int)i].Type : throw Err("unknown elem segment");

    public void CheckData(long i)
    {
        if (i < 0 || i >= (_m.DataCount ?? (uint)_m.Data.Count)) throw Err("unknown data segment");
    }
}
