using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Validation;

/// <summary>Validates a decoded module (spec §3.4). Errors are <see cref="WasmInvalidException"/> naming the reason.</summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
public static class ModuleValidator
{
    private const ulong MaxPages = 65536;

    /// <summary>Validates <paramref name="m"/>; throws <see cref="WasmInvalidException"/> if invalid.</summary>
    public static void Validate(WasmModule m)
    {
        var c = new ModuleContext(m);
        foreach (var imp in m.Imports)
        {
            switch (imp.Kind)
            {
                case ExternKind.Table: CheckTableLimits(imp.Table.Limits); break;
                case ExternKind.Memory: CheckMemLimits(imp.Memory); break;
            }
        }
        foreach (var t in m.Tables) CheckTableLimits(t.Limits);
        foreach (var mem in m.Memories) CheckMemLimits(mem);
        if (m.TotalMemories > 1) throw new WasmInvalidException("multiple memories");

        // C.refs: function indices referenced outside function bodies.
        foreach (var e in m.Exports) if (e.Kind == ExternKind.Func) c.AddRef(e.Index);
        foreach (var g in m.Globals) CollectRefs(g.Init, c);
        foreach (var e in m.Elements) foreach (var it in e.Items) CollectRefs(it, c);

        // Globals: initialisers see only imported globals (2.0).
        int imported = c.GlobalCount;
        foreach (var g in m.Globals) CheckConst(c, g.Init, g.Type.Type, imported);
        foreach (var g in m.Globals) c.AddGlobal(g.Type);

        foreach (var e in m.Elements)
        {
            foreach (var it in e.Items) CheckConst(c, it, e.Type, imported);
            if (e.Mode == SegmentMode.Active)
            {
                var tt = c.Table(e.Table);
                if (tt.ElemType != e.Type) throw new WasmInvalidException("type mismatch");
                CheckConst(c, e.Offset!, ValType.I32, imported);
            }
        }
        foreach (var d in m.Data)
        {
            if (d.Mode == SegmentMode.Active)
            {
                c.Memory(d.Memory);
                CheckConst(c, d.Offset!, ValType.I32, imported);
            }
        }
        if (m.Start is uint s)
        {
            var ft = c.Func(s);
            if (ft.Params.Length != 0 || ft.Results.Length != 0) throw new WasmInvalidException("start function");
        }
        var names = new HashSet<string>();
        foreach (var e in m.Exports)
        {
            if (!names.Add(e.Name)) throw new WasmInvalidException("duplicate export name");
            switch (e.Kind)
            {
                case ExternKind.Func: c.Func(e.Index); break;
                case ExternKind.Table: c.Table(e.Index); break;
                case ExternKind.Memory: c.Memory(e.Index); break;
                case ExternKind.Global: c.Global(e.Index); break;
            }
        }
        var fv = new FunctionValidator(c);
        for (int i = 0; i < m.Bodies.Count; i++)
            fv.Validate(c.Type(m.Functions[i]), m.Bodies[i]);
    }

    private static void CheckTableLimits(Limits l)
    {
        if (l.Max is ulong max && l.Min > max) throw new WasmInvalidException("size minimum must not be greater than maximum");
    }

    private static void CheckMemLimits(Limits l)
    {
        if (l.Min > MaxPages || l.Max > MaxPages) throw new WasmInvalidException("memory size must be at most 65536 pages (4GiB)");
        if (l.Max is ulong max && l.Min > max) throw new WasmInvalidException("size minimum must not be greater than maximum");
    }

    private static void CollectRefs(ConstExpr e, ModuleContext c)
    {
        foreach (var ins in e.Code) if (ins.Op == 0xD2) c.AddRef((uint)ins.Imm);
    }

    private static void CheckConst(ModuleContext c, ConstExpr e, ValType expected, int globalLimit)
    {
        var stack = new List<ValType>();
        foreach (var ins in e.Code)
        {
            switch (ins.Op)
            {
                case 0x41: stack.Add(ValType.I32); break;
                case 0x42: stack.Add(ValType.I64); break;
                case 0x43: stack.Add(ValType.F32); break;
                case 0x44: stack.Add(ValType.F64); break;
                case 0xFD0C: stack.Add(ValType.V128); break;
                case 0xD0: stack.Add((ValType)ins.Imm); break;
                case 0xD2:
                    c.Func(ins.Imm);
                    stack.Add(ValType.FuncRef);
                    break;
                case 0x23:
                {
                    if (ins.Imm >= globalLimit) throw new WasmInvalidException("unknown global");
                    var g = c.Global(ins.Imm);
                    if (g.Mutable) throw new WasmInvalidException("constant expression required");
                    stack.Add(g.Type);
                    break;
                }
                default:
                    throw new WasmInvalidException("constant expression required");
            }
        }
        if (stack.Count != 1 || stack[0] != expected) throw new WasmInvalidException("type mismatch");
    }
}
