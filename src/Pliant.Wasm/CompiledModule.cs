using System.Reflection;
using Pliant.Wasm.Compilation;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;
using Pliant.Wasm.Validation;

namespace Pliant.Wasm;

/// <summary>
/// A decoded, validated and compiled module. Compile once, instantiate many times: instances share
/// the generated code (one collectible assembly, freed when no instance or module references it).
/// </summary>
public sealed class CompiledModule
{
    private readonly CodeEntries _code;
    private readonly bool[] _neutral;
    private readonly int _maxResults;

    // Keeps the shared assembly's emitter reusable while this module lives (see ModuleCompiler).
    private readonly object _batch;

    // What Instantiate reads, copied at Compile: the host may edit Module's public lists afterwards, and the code
    // was compiled for these types, imports, memories, exports and segments (see Snapshot).
    private readonly WasmModule _plan;

    private CompiledModule(WasmModule module, WasmLimits limits, int[] tokens, bool[] neutral, Type holder, object batch)
    {
        _neutral = neutral;
        _batch = batch;
        _plan = Snapshot(module);
        Module = module;
        Limits = limits;
        _code = new CodeEntries(tokens, holder, module.ImportedFunctionCount);
        CodeHolder = holder;
        foreach (var t in _plan.Types) _maxResults = Math.Max(_maxResults, t.Results.Length);
    }

    /// <summary>
    /// The decoded module (types, imports, exports, custom sections...). Edits to it after
    /// <see cref="Compile(WasmModule, WasmLimits?)"/> do not reach the compiled module: <see cref="Instantiate"/>
    /// uses a copy taken at compile time (the contents of data segments' byte arrays excepted: they are shared).
    /// </summary>
    public WasmModule Module { get; }

    /// <summary>Limits applied to instances.</summary>
    public WasmLimits Limits { get; }

    /// <summary>
    /// The generated type; referenced so the collectible code stays alive with the module. Up to 16 modules
    /// compiled in a row share one collectible assembly, freed when all of them are unreachable.
    /// </summary>
    public Type CodeHolder { get; }

    /// <summary>Decodes and validates without compiling. Throws <see cref="WasmMalformedException"/> or <see cref="WasmInvalidException"/>.</summary>
    public static WasmModule DecodeAndValidate(ReadOnlyMemory<byte> bytes, WasmLimits? limits = null)
    {
        limits ??= WasmLimits.Default;
        if (bytes.Length > limits.MaxModuleBytes) throw new WasmMalformedException("module exceeds the engine's size cap");
        var m = ModuleDecoder.Decode(bytes, limits);
        ModuleValidator.Validate(m);
        return m;
    }

    /// <summary>Decodes, validates and compiles a module.</summary>
    public static CompiledModule Compile(ReadOnlyMemory<byte> bytes, WasmLimits? limits = null)
    {
        limits ??= WasmLimits.Default;
        return Compile(DecodeAndValidate(bytes, limits), limits);
    }

    /// <summary>
    /// Compiles a module already returned by <see cref="DecodeAndValidate"/> with the same
    /// <paramref name="limits"/> (it is not validated again). Throws <see cref="WasmInvalidException"/>
    /// when a function exceeds the compiler's frame cap (<see cref="WasmLimits.MaxFrameSlots"/>).
    /// </summary>
    public static CompiledModule Compile(WasmModule validated, WasmLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(validated);
        limits ??= WasmLimits.Default;
        var (tokens, holder, batch, neutral) = ModuleCompiler.Compile(validated, limits);
        return new CompiledModule(validated, limits, tokens, neutral, holder, batch);
    }

    /// <summary>
    /// Compiles every function to machine code now (the .NET JIT otherwise compiles each at its first
    /// call). Hosts call it on a background thread so that the first calls, made on a latency-critical
    /// thread, do not pay for compilation.
    /// </summary>
    /// <remarks>
    /// Instances created afterwards call these functions (through tables, imports and exports) at their machine
    /// code: the entry points resolved otherwise (from the method tokens, at the first instance) lead there through a precode jump (<see cref="CodeEntries"/>).
    /// </remarks>
    public void PrepareAll()
    {
        foreach (var method in CodeHolder.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
        {
            System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(method.MethodHandle);
            int i = _code.DefinedIndexOf(method);
            if (i >= 0) _code.Set(i, method);
        }
    }

    /// <summary>
    /// Instantiates the module: resolves imports (<see cref="WasmLinkException"/> if missing or
    /// mismatched), initialises tables and memory from active segments and runs the start function
    /// (traps surface as <see cref="WasmTrapException"/>). Instances sharing <paramref name="state"/>
    /// share fuel and call depth.
    /// </summary>
    public Instance Instantiate(Imports? imports = null, ExecState? state = null)
    {
        var m = _plan;
        state ??= new ExecState { MaxDepth = Limits.MaxCallDepth };
        state.EnsureResults(_maxResults);
        var inst = new Instance(state) { Unmetered = !Limits.MeterFuel };
        var funcs = new List<FunctionInstance>();
        var tables = new List<Table>();
        var globals = new List<Global>();
        foreach (var imp in m.Imports)
        {
            object v = null!;
            if (imports == null || !imports.TryGet(imp.Module, imp.Name, out v))
                throw new WasmLinkException($"unknown import {imp.Module}.{imp.Name}");
            switch (imp.Kind)
            {
                case ExternKind.Func:
                    if (v is not FunctionInstance f || !f.Type.Equals(m.Types[(int)imp.TypeIndex]))
                        throw new WasmLinkException($"incompatible import type {imp.Module}.{imp.Name}");
                    funcs.Add(f.BindsCaller ? f.BindCaller(inst) : f);
                    break;
                case ExternKind.Table:
                    if (v is not Table t || t.ElemType != imp.Table.ElemType || !LimitsMatch((ulong)t.Size, t.Max, imp.Table.Limits))
                        throw new WasmLinkException($"incompatible import type {imp.Module}.{imp.Name}");
                    tables.Add(t);
                    break;
                case ExternKind.Memory:
                    if (v is not Memory mem || !LimitsMatch((ulong)mem.Pages, mem.Max, imp.Memory))
                        throw new WasmLinkException($"incompatible import type {imp.Module}.{imp.Name}");
                    inst.Memory0 = mem;
                    break;
                case ExternKind.Global:
                    if (v is not Global g || g.Type != imp.Global.Type || g.Mutable != imp.Global.Mutable)
                        throw new WasmLinkException($"incompatible import type {imp.Module}.{imp.Name}");
                    globals.Add(g);
                    break;
            }
        }
        for (int i = 0; i < m.Functions.Count; i++)
        {
            var (entry, atCode) = _code.Get(i);
            var type = m.Types[(int)m.Functions[i]];
            // A function compiled without an entry (no export, table or start can name it) is listed with a stub that throws.
            funcs.Add(new FunctionInstance(type, entry != 0 ? entry : NoEntryStubs.For(type), inst, CodeHolder)
            {
                DepthNeutral = _neutral[i],
                Code = _code,
                DefinedIndex = i,
                AtMachineCode = atCode,
            });
        }
        inst.Functions = [.. funcs];
        foreach (var t in m.Tables)
        {
            if (t.Limits.Min > Limits.MaxTableSize) throw new WasmTrapException("table size exceeds the engine's cap");
            tables.Add(new Table(t.ElemType, (uint)t.Limits.Min, (uint?)t.Limits.Max, Limits.MaxTableSize));
        }
        inst.Tables = [.. tables];
        foreach (var mem in m.Memories)
        {
            if (mem.Min > Limits.MaxMemoryPages) throw new WasmTrapException("memory size exceeds the engine's page cap");
            inst.Memory0 = new Memory((uint)mem.Min, (uint?)mem.Max, Limits.MaxMemoryPages);
        }
        inst.Globals = [.. globals];
        foreach (var gd in m.Globals)
        {
            var g = new Global(gd.Type.Type, gd.Type.Mutable) { Value = Eval(gd.Init, inst, gd.Type.Type) };
            globals.Add(g);
            inst.Globals = [.. globals];
        }
        var elems = new object?[m.Elements.Count][];
        for (int i = 0; i < elems.Length; i++)
        {
            var seg = m.Elements[i];
            var items = new object?[seg.Items.Length];
            for (int k = 0; k < items.Length; k++) items[k] = Eval(seg.Items[k], inst, seg.Type).Ref;
            elems[i] = items;
        }
        inst.Elems = elems;
        inst.Datas = [.. m.Data.Select(d => d.Bytes)];
        foreach (var e in m.Exports)
        {
            inst.Exports[e.Name] = e.Kind switch
            {
                ExternKind.Func => Reachable(inst, e.Index),
                ExternKind.Table => inst.Tables[e.Index],
                ExternKind.Memory => inst.Memory0!,
                _ => inst.Globals[e.Index],
            };
        }
        // Spec §4.5.4: element segments, then data segments, then the start function.
        for (int i = 0; i < m.Elements.Count; i++)
        {
            var seg = m.Elements[i];
            if (seg.Mode == SegmentMode.Active)
            {
                int off = Eval(seg.Offset!, inst, ValType.I32).I32;
                Ops.TableInit(inst, (int)seg.Table, i, off, 0, seg.Items.Length);
            }
            if (seg.Mode != SegmentMode.Passive) Ops.ElemDrop(inst, i);
        }
        for (int i = 0; i < m.Data.Count; i++)
        {
            var seg = m.Data[i];
            if (seg.Mode != SegmentMode.Active) continue;
            int off = Eval(seg.Offset!, inst, ValType.I32).I32;
            Ops.MemoryInit(inst, i, off, 0, seg.Bytes.Length);
            Ops.DataDrop(inst, i);
        }
        if (m.Start is uint s) Instance.Invoke(Reachable(inst, s), []);
        return inst;
    }

    /// <summary>
    /// Function <paramref name="index"/> of <paramref name="inst"/>, about to be handed out (export, start,
    /// <c>ref.func</c> of a global or element segment): it must have an entry. A function the compiler left without
    /// one (nothing outside the module's code reached it: ModuleCompiler) cannot be named here, as the plan is the
    /// compiled one; the check keeps a mistake in that analysis a precise exception.
    /// </summary>
    private FunctionInstance Reachable(Instance inst, long index)
    {
        long defined = index - _plan.ImportedFunctionCount;
        if (defined >= 0 && defined < _plan.Functions.Count && !_code.HasEntry((int)defined))
            throw new WasmLinkException($"function {index}: {NoEntryStubs.Message}; it cannot be exported, started or referenced");
        return inst.Functions[index];
    }

    /// <summary>
    /// A copy of what <see cref="Instantiate"/> reads from <paramref name="m"/>: its lists, the types' arrays and the
    /// constant expressions (a <c>ref.func</c> names a function). Imports, exports and the value types are immutable;
    /// data segments share their bytes. Bodies and custom sections are not needed and not copied.
    /// </summary>
    private static WasmModule Snapshot(WasmModule m)
    {
        var s = new WasmModule
        {
            Start = m.Start,
            DataCount = m.DataCount,
            ImportedFunctionCount = m.ImportedFunctionCount,
            ImportedTableCount = m.ImportedTableCount,
            ImportedMemoryCount = m.ImportedMemoryCount,
            ImportedGlobalCount = m.ImportedGlobalCount,
        };
        foreach (var t in m.Types) s.Types.Add(new FuncType([.. t.Params], [.. t.Results]));
        s.Imports.AddRange(m.Imports);
        s.Functions.AddRange(m.Functions);
        s.Tables.AddRange(m.Tables);
        s.Memories.AddRange(m.Memories);
        foreach (var g in m.Globals) s.Globals.Add(new GlobalDef { Type = g.Type, Init = Copy(g.Init) });
        s.Exports.AddRange(m.Exports);
        foreach (var e in m.Elements)
        {
            var items = new ConstExpr[e.Items.Length];
            for (int i = 0; i < items.Length; i++) items[i] = Copy(e.Items[i]);
            s.Elements.Add(new ElementSegment { Mode = e.Mode, Type = e.Type, Table = e.Table, Offset = e.Offset is { } o ? Copy(o) : null, Items = items });
        }
        foreach (var d in m.Data) s.Data.Add(new DataSegment { Mode = d.Mode, Memory = d.Memory, Offset = d.Offset is { } o ? Copy(o) : null, Bytes = d.Bytes });
        return s;
    }

    private static ConstExpr Copy(ConstExpr e) => new() { Code = [.. e.Code], Tables = [.. e.Tables] };

    private static bool LimitsMatch(ulong actualMin, uint? actualMax, Limits expected)
    {
        if (actualMin < expected.Min) return false;
        if (expected.Max is ulong emax)
        {
            if (actualMax is not uint amax || amax > emax) return false;
        }
        return true;
    }

    private WasmValue Eval(ConstExpr e, Instance inst, ValType type)
    {
        var ins = e.Code[0];
        return ins.Op switch
        {
            0x41 => WasmValue.FromI32((int)ins.Imm),
            0x42 => WasmValue.FromI64(ins.Imm),
            0x43 => WasmValue.FromF32Bits((uint)ins.Imm),
            0x44 => WasmValue.FromF64Bits((ulong)ins.Imm),
            0xFD0C => WasmValue.FromV128(V128Ops.Const(ins.Imm, ins.High(e.Tables))),
            0xD0 => WasmValue.FromRef(type, null),
            0xD2 => WasmValue.FromRef(ValType.FuncRef, Reachable(inst, ins.Imm)),
            0x23 => inst.Globals[ins.Imm].Value,
            _ => throw new WasmInvalidException("constant expression required"),
        };
    }
}
