namespace Pliant.Wasm.Runtime;

/// <summary>Bulk memory, table and reference operations (spec §4.4.6–4.4.7), called from generated code.</summary>
public static class Ops
{
#pragma warning disable CS1591
    public static void MemoryInit(Instance ctx, int seg, int d, int s, int n)
    {
        var data = ctx.Datas[seg];
        var mem = ctx.Memory0!.Buffer;
        if ((ulong)(uint)s + (uint)n > (ulong)data.Length || (ulong)(uint)d + (uint)n > (ulong)mem.Length) Trap.OutOfBounds();
        data.AsSpan(s, n).CopyTo(mem.AsSpan(d, n));
    }

    public static void DataDrop(Instance ctx, int seg) => ctx.Datas[seg] = [];

    public static void MemoryCopy(Instance ctx, int d, int s, int n)
    {
        var mem = ctx.Memory0!.Buffer;
        if ((ulong)(uint)s + (uint)n > (ulong)mem.Length || (ulong)(uint)d + (uint)n > (ulong)mem.Length) Trap.OutOfBounds();
        mem.AsSpan(s, n).CopyTo(mem.AsSpan(d, n));
    }

    public static void MemoryFill(Instance ctx, int d, int val, int n)
    {
        var mem = ctx.Memory0!.Buffer;
        if ((ulong)(uint)d + (uint)n > (ulong)mem.Length) Trap.OutOfBounds();
        mem.AsSpan(d, n).Fill((byte)val);
    }

    public static void TableInit(Instance ctx, int table, int seg, int d, int s, int n)
    {
        var elems = ctx.Elems[seg];
        var t = ctx.Tables[table].Elements;
        if ((ulong)(uint)s + (uint)n > (ulong)elems.Length || (ulong)(uint)d + (uint)n > (ulong)t.Length) Trap.TableOutOfBounds();
        Array.Copy(elems, s, t, d, n);
    }

    public static void ElemDrop(Instance ctx, int seg) => ctx.Elems[seg] = [];

    public static void TableCopy(Instance ctx, int dst, int src, int d, int s, int n)
    {
        var td = ctx.Tables[dst].Elements;
        var ts = ctx.Tables[src].Elements;
        if ((ulong)(uint)s + (uint)n > (ulong)ts.Length || (ulong)(uint)d + (uint)n > (ulong)td.Length) Trap.TableOutOfBounds();
        Array.Copy(ts, s, td, d, n);
    }

    public static int TableGrow(Instance ctx, int table, object? init, int n) => ctx.Tables[table].Grow(n, init);

    public static int TableSize(Instance ctx, int table) => ctx.Tables[table].Elements.Length;

    public static void TableFill(Instance ctx, int table, int i, object? v, int n)
    {
        var t = ctx.Tables[table].Elements;
        if ((ulong)(uint)i + (uint)n > (ulong)t.Length) Trap.TableOutOfBounds();
        t.AsSpan(i, n).Fill(v);
    }

    public static object? TableGet(Instance ctx, int table, int i)
    {
        var t = ctx.Tables[table].Elements;
        if ((uint)i >= (uint)t.Length) Trap.TableOutOfBounds();
        return t[i];
    }

    public static void TableSet(Instance ctx, int table, int i, object? v)
    {
        var t = ctx.Tables[table].Elements;
        if ((uint)i >= (uint)t.Length) Trap.TableOutOfBounds();
        t[i] = v;
    }

    /// <summary>call_indirect lookup with the spec's checks.</summary>
    public static FunctionInstance Indirect(Instance ctx, int table, int i, int typeId)
    {
        var t = ctx.Tables[table].Elements;
        if ((uint)i >= (uint)t.Length) Trap.UndefinedElement();
        var f = t[i] as FunctionInstance;
        if (f is null) Trap.UninitializedElement();
        if (f.TypeId != typeId) Trap.IndirectTypeMismatch();
        return f;
    }
#pragma warning restore CS1591
}
