using System.Reflection;
using System.Reflection.Emit;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Self-recursive calls of small functions are inlined: the call site gets a copy of the function's body
/// (and the copy's own self-calls copies in turn, up to <see cref="InlineSelfMaxLevels"/> levels within
/// <see cref="InlineSelfBudget"/> instructions), so each native call covers several wasm call levels. The JIT never inlines a method into
/// itself, and in a call-heavy kernel (naive Fibonacci, Takeuchi) the native call — prologue, pushes of the
/// callee-saved registers, stack check, epilogue — costs more than the body.
/// <para>The copy behaves as the call would: it counts call depth (it is a frame of a recursive function,
/// see <see cref="CallGraph"/>; its caller gives the depth back afterwards), charges fuel with the callee's
/// own <see cref="FuelPlan"/> (the entry check included) from the same fuel local, and keeps parameters,
/// locals and operand-stack slots in locals of its own (slots above the call site's, in the same
/// per-depth tables). What it does not do is enter a native frame: no native stack check is needed, and
/// the extra locals count against <see cref="WasmLimits.MaxFrameSlots"/> of the method. Recursive calls in
/// the deepest copies are ordinary calls. Measured on the bench's <c>recursion</c> kernel (fib and tak,
/// 23 million wasm calls): 66-69 ms without inlining, 52-54 ms with one level, 41-45 ms with up to four.</para>
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>Largest body (instructions) inlined into its own recursive calls.</summary>
    internal const int InlineSelfMaxInstructions = 48;

    /// <summary>Most instructions of inlined copies in one method; sets how many levels deep copies go.</summary>
    internal const int InlineSelfBudget = 160;

    /// <summary>Deepest nesting of inlined copies, whatever the budget.</summary>
    internal const int InlineSelfMaxLevels = 4;

    // The function compiled at the root of this method (this unless an inlined copy).
    private readonly FunctionCompiler _root;
    private readonly bool _inlined;
    // Operand-stack depth of this copy's slot 0 in the shared slot tables (0 for the method itself).
    private readonly int _slotBase;
    private readonly int _index;
    private readonly FunctionBody _body;
    private readonly WasmLimits _limits;
    // Nesting level of this copy (0: the method itself) and the deepest level the method's copies may reach.
    private int _inlineLevel;
    private int _inlineLevels = -1;

    /// <summary>
    /// True when a call of this function to itself is inlined: small bodies, and copies nested as deep as
    /// <see cref="InlineSelfBudget"/> allows with every call site of every level inlined (a body with
    /// <c>c</c> self-calls and <c>n</c> instructions costs <c>n·(c + c² + …)</c> for that many levels).
    /// </summary>
    private bool CanInlineSelf()
    {
        var root = _root;
        if (root._inlineLevels < 0) root._inlineLevels = InlineLevels(root._body.Code, root._index + _m.ImportedFunctionCount);
        if (_inlineLevel >= root._inlineLevels || _body.Code.Length > InlineSelfMaxInstructions || _type.Results.Length > 1) return false;
        if (_localTypes.Length + _body.Code.Length > 200) return false; // large frames take the runtime stack check path
        foreach (var t in _localTypes) if (t == ValType.V128) return false;
        return _type.Results.Length == 0 || _type.Results[0] != ValType.V128;
    }

    private static int InlineLevels(Instr[] code, long self)
    {
        int sites = 0;
        foreach (ref readonly var ins in code.AsSpan()) if (ins.Op == 0x10 && ins.Imm == self) sites++;
        int levels = 0;
        long copies = 0, perLevel = 1;
        while (levels < InlineSelfMaxLevels)
        {
            perLevel *= sites;
            if ((copies + perLevel) * code.Length > InlineSelfBudget) break;
            copies += perLevel;
            levels++;
        }
        return levels;
    }

    /// <summary>Emits a call to the function being compiled as an inlined copy of its body.</summary>
    private void InlineSelf()
    {
        var copy = new FunctionCompiler(_il, _tokens, _m, _methods, _type, _body, _limits, _calls, _index, this)
        {
            _inlineLevel = _inlineLevel + 1,
            _entryCharged = _entryPreCharged,
        };
        _entryPreCharged = false;
        Operands(_type.Params.Length); // bottom first on the IL stack: stored last parameter first
        for (int i = _type.Params.Length - 1; i >= 0; i--) _il.Emit(OpCodes.Stloc, copy._locals[i].L!);
        copy.EmitInlined(this);
        if (_root.SelfBody == null) RestoreDepth(); // a fuel-passing body publishes depth only before the calls that read it
        if (_type.Results.Length == 1) Push(_type.Results[0]);
    }

    /// <summary>The copy's own part of a call: zeroed locals, its depth count, its body; leaves the result on the IL stack.</summary>
    private void EmitInlined(FunctionCompiler caller)
    {
        _st = caller._st;
        _fuel = caller._fuel;
        _mem = caller._mem;
        _memData = caller._memData;
        _memLength = caller._memLength;
        (_rotateMask32, _rotateMask64) = (caller._rotateMask32, caller._rotateMask64);
        for (int i = _paramCount; i < _localTypes.Length; i++) ZeroLocal(_locals[i].L!, _localTypes[i]);
        // The copy's depth is its caller's local plus one (the caller's depth is ExecState.Depth here: it stores
        // its depth back after every call that may change it), stored like a frame's — or, in a fuel-passing
        // body, only checked (see PassesFuel).
        if (_root._depthRoom is { } room)
        {
            // Depth: the method's frame's + this copy's level, tested against the room that frame took at entry.
            _il.Emit(OpCodes.Ldloc, room);
            _il.Emit(OpCodes.Ldc_I4, _inlineLevel);
            _tokens.Emit(_il, OpCodes.Call, ClrTypes.StCheckRoom);
        }
        else
        {
            _depth = Declare(typeof(int));
            _il.Emit(OpCodes.Ldloc, _st);
            caller.LdDepth();
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.Add);
            _tokens.Emit(_il, OpCodes.Call, _root.SelfBody != null ? ClrTypes.StCheckDepth : ClrTypes.StEnterInlined);
            _il.Emit(OpCodes.Stloc, _depth);
        }
        EmitBody(_body.Code);
    }

    // Set by ChargeWithInlinedEntry at a block start for the self-call its block goes on to inline; taken by that
    // InlineSelf and handed to the copy as _entryCharged (no other call lies between).
    private bool _entryPreCharged;
    // This inlined copy's entry block was charged and checked by its caller's block start: its pc 0 emits neither.
    private bool _entryCharged;

    /// <summary>
    /// At a checked block start <paramref name="b"/> whose block runs only pure instructions (locals, constants,
    /// arithmetic that cannot trap) up to a self-call that will be inlined: charges the block and the copy's entry
    /// block (<c>Cost[0]</c>, checked at entry) together and checks once, for one <c>sub; js</c> per inlined call
    /// instead of two. Same trap point and fuel left: when the sum does not fit, a cold path takes the traps the
    /// separate checks would have taken, in their order — "fuel exhausted" at the block (fuel without the entry's
    /// units), else the copy's depth check ("call stack exhausted"), else "fuel exhausted" at the copy's entry (the
    /// prefix between cannot trap or be observed: locals of a frame that traps are gone). Not where another path
    /// enters the block past its charge (FuelPlan.Edge back edges, a rotated loop's entry). False: charge as usual.
    /// </summary>
    private bool ChargeWithInlinedEntry(Instr[] code, int b)
    {
        if (!_fuelPlan.Check[b] || _fuelPlan.Edge != null || _root.SelfBody == null) return false;
        if (b > 0 && code[b - 1].Op == 0x03 && _frames[^1] is { Op: 0x03 } f && f.Pc == b - 1 && f.RotFrom >= 0) return false;
        int p = b;
        while (p < code.Length && IsPureStep(code[p].Op)) p++;
        if (p >= code.Length || code[p].Op != 0x10 || code[p].Imm != _index + _m.ImportedFunctionCount || !CanInlineSelf()) return false;
        int c = _fuelPlan.Cost[b], e = _fuelPlan.Cost[0];
        _root._fuelSynced = false;
        Ldloc(_fuel!);
        _il.Emit(OpCodes.Ldc_I4, c + e);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Sub);
        Stloc(_fuel!);
        var ok = _il.DefineLabel();
        Ldloc(_fuel!);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Bge, ok);
        // Cold: the block's own check (fuel without the entry's units) ...
        Ldloc(_fuel!);
        _il.Emit(OpCodes.Ldc_I4, e);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Add);
        Stloc(_fuel!);
        CheckFuel();
        // ... the copy's depth check (as EmitInlined: this frame's depth + 1) ...
        if (_root._depthRoom is { } room)
        {
            _il.Emit(OpCodes.Ldloc, room);
            _il.Emit(OpCodes.Ldc_I4, _inlineLevel + 1);
            _tokens.Emit(_il, OpCodes.Call, ClrTypes.StCheckRoom);
        }
        else
        {
            Ldloc(_st);
            LdDepth();
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.Add);
            _tokens.Emit(_il, OpCodes.Call, ClrTypes.StCheckDepth);
            _il.Emit(OpCodes.Pop);
        }
        // ... and the copy's entry charge, which does not fit.
        Ldloc(_st);
        Ldloc(_fuel!);
        _il.Emit(OpCodes.Ldc_I4, e);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Sub);
        _tokens.Emit(_il, OpCodes.Call, ClrTypes.StOutOfFuel);
        _il.MarkLabel(ok);
        _entryPreCharged = true;
        return true;
    }

    // In a fuel-passing method whose only calls are to itself (so MaxDepth cannot change while it runs) and whose
    // self-calls are inlined: MaxDepth minus the frame's depth, taken at entry. A copy inlined L levels below then
    // tests L against it (one compare of a register with a constant) and has no depth local of its own: its depth,
    // when a call needs it, is the frame's + L (LdDepth). Null otherwise.
    private LocalBuilder? _depthRoom;

    /// <summary>Pushes this frame's or copy's call depth (a copy without a depth local: its method's frame's + its level).</summary>
    private void LdDepth()
    {
        if (_depth != null)
        {
            Ldloc(_depth);
            return;
        }
        Ldloc(_root._depth!);
        _il.Emit(OpCodes.Ldc_I4, _inlineLevel);
        _il.Emit(OpCodes.Add);
    }

    /// <summary>True when every call in <paramref name="code"/> is a direct call to this function (no import, table or reference call).</summary>
    private bool OnlySelfCalls(Instr[] code)
    {
        foreach (ref readonly var ins in code.AsSpan())
        {
            if (ins.Op == 0x10 && ins.Imm != _index + _m.ImportedFunctionCount) return false;
            if (ins.Op is >= 0x11 and <= 0x15) return false;
        }
        return true;
    }

    /// <summary>Instructions that cannot trap, branch, call or write anything but locals and the operand stack.</summary>
    private static bool IsPureStep(ushort op) =>
        op is 0x1A or 0x20 or 0x21 or 0x22 or 0x41 or 0x42 || op is >= 0x45 and <= 0x6C || op is >= 0x71 and <= 0x78;

    // ---- fuel in registers through self-recursive calls ---------------------------------------

    /// <summary>
    /// The method compiled from this body when it is the fuel-passing body of a self-recursive function
    /// (<see cref="PassesFuel"/>): parameters, instance, fuel, depth; returns a FuelResult struct (<see cref="FuelResultI32"/>, ...) or the fuel
    /// alone). The function's own method is then a wrapper (<see cref="EmitFuelWrapper"/>). Null otherwise.
    /// </summary>
    internal MethodBuilder? SelfBody { get; init; }

    /// <summary>
    /// True for a function whose body passes fuel (and call depth) in registers: metered, calling itself
    /// directly, with at most one result and not a v128 (whose pair with the fuel would be returned through
    /// memory).
    /// <para>Its self-calls (those not inlined, <see cref="InlineSelf"/>) pass the fuel local as an argument and
    /// take what the callee left from the second return register: no store of the fuel to
    /// <see cref="ExecState.Fuel"/> before the call, no load after it, and none at the callee's entry and
    /// return — in naive Fibonacci or Takeuchi a store-to-load round trip each way per call on the one
    /// dependency chain that runs through every call. Every other way in (exports, tables, other functions)
    /// enters through the wrapper, which reads and writes <see cref="ExecState.Fuel"/> once; every other call
    /// the body makes publishes the fuel first, as usual. Counts, checks and the trap point are the same
    /// (the body charges and checks exactly as before, and "fuel exhausted" publishes what was left); what
    /// differs is <see cref="ExecState.Fuel"/> after another trap inside the recursion, which holds the value
    /// published last (at the wrapper's entry or around the last other call) — a trap never published the
    /// fuel local.</para>
    /// <para>Call depth likewise: the body gets its caller's depth as its last argument (the wrapper passes
    /// <see cref="ExecState.Depth"/>), and each frame or inlined copy checks its own against the limit without
    /// storing it; it is stored only right before a call that reads it (to another function, an import, a
    /// table), so a self-call neither loads the depth at entry nor stores it back afterwards. The field is
    /// then lower than the true depth inside the recursion, which nothing reads, and whoever called the wrapper
    /// restores its own depth after the call, as after any counting function (<see cref="CallGraph"/>).</para>
    /// </summary>
    /// <param name="m">The module.</param>
    /// <param name="index">The function (defined functions only).</param>
    /// <param name="limits">Whether fuel is metered.</param>
    /// <param name="callsSelf">Whether the body calls itself directly (<see cref="CallGraph.BodyScan.CallsSelf"/>).</param>
    internal static bool PassesFuel(WasmModule m, int index, WasmLimits limits, bool callsSelf)
    {
        if (!limits.MeterFuel || !callsSelf) return false;
        var ft = m.Types[(int)m.Functions[index]];
        return !(ft.Results.Length > 1 || (ft.Results.Length == 1 && ft.Results[0] == ValType.V128));
    }

    /// <summary>Declares a fuel-passing body named <paramref name="name"/> (the function's name + "b", with or without a wrapper).</summary>
    internal static MethodBuilder DefineFuelBody(TypeBuilder tb, string name, FuncType ft)
    {
        return IlWriter.DefineCompiledMethod(tb, name, ClrTypes.FuelReturn(ft), ClrTypes.FuelParams(ft));
    }

    /// <summary>
    /// The function's method when its body passes fuel: calls the body with <see cref="ExecState.Fuel"/> and
    /// stores back the fuel it left. Nothing else (depth, stack, checks) happens here; the body does it all.
    /// </summary>
    internal static void EmitFuelWrapper(IlWriter il, MemberTokens tokens, FuncType ft, MethodBuilder body)
    {
        int ctx = ft.Params.Length;
        il.Emit(OpCodes.Ldarg, ctx);
        tokens.Emit(il, OpCodes.Ldfld, ClrTypes.InstState); // the state to store the fuel to, under the call
        for (int i = 0; i <= ctx; i++) il.Emit(OpCodes.Ldarg, i);
        il.Emit(OpCodes.Ldarg, ctx);
        tokens.Emit(il, OpCodes.Ldfld, ClrTypes.InstState);
        tokens.Emit(il, OpCodes.Ldfld, ClrTypes.StFuel);
        il.Emit(OpCodes.Ldarg, ctx);
        tokens.Emit(il, OpCodes.Ldfld, ClrTypes.InstState);
        tokens.Emit(il, OpCodes.Ldfld, ClrTypes.StDepth);
        il.Emit(OpCodes.Call, body);
        if (ft.Results.Length == 0)
        {
            tokens.Emit(il, OpCodes.Stfld, ClrTypes.StFuel);
        }
        else
        {
            var result = il.DeclareLocal(ClrTypes.FuelResultOf(ft.Results[0]).Type);
            il.Emit(OpCodes.Stloc, result);
            il.Emit(OpCodes.Ldloc, result);
            tokens.Emit(il, OpCodes.Ldfld, ClrTypes.FuelResultOf(ft.Results[0]).Fuel);
            tokens.Emit(il, OpCodes.Stfld, ClrTypes.StFuel);
            il.Emit(OpCodes.Ldloc, result);
            tokens.Emit(il, OpCodes.Ldfld, ClrTypes.FuelResultOf(ft.Results[0]).Value);
        }
        il.Emit(OpCodes.Ret);
    }

    /// <summary>
    /// Per defined function, whether its method is its fuel-passing body with no wrapper (ModuleCompiler: a
    /// self-recursive function nothing outside the module's code reaches); calls to it are
    /// <see cref="EmitFuelBodyCall"/>. Null: none.
    /// </summary>
    internal bool[]? Direct { get; init; }

    /// <summary>
    /// A call to a fuel-passing body without a wrapper: the wrapper's work (<see cref="EmitFuelWrapper"/>) at the
    /// call. The operands and the instance are on the stack, the fuel and depth published (SpillFuel,
    /// PublishDepth); the body gets the fuel local (what ExecState.Fuel holds now) and ExecState.Depth, and the
    /// fuel it leaves is stored to the local and to <see cref="ExecState.Fuel"/>, as the wrapper did (a later trap
    /// in this function finds it there). Then as after any call: the depth restored if the callee counts, the
    /// fuel checked, the memory reloaded, the result pushed.
    /// </summary>
    private void EmitFuelBodyCall(FuncType ft, MethodBuilder body, bool counts)
    {
        // A body that calls is never free of fuel (FunctionCompiler.Compile), and this callee exists only when metering.
        var fuel = _fuel ?? throw new InvalidOperationException("call to a fuel-passing body from code without a fuel local");
        Ldloc(fuel);
        Ldloc(_st);
        _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.StDepth);
        _il.Emit(OpCodes.Call, body);
        LocalBuilder? result = null;
        if (ft.Results.Length == 0)
        {
            Stloc(fuel);
        }
        else
        {
            var ret = ClrTypes.FuelResultOf(ft.Results[0]);
            var results = _root._bodyCallResults ??= [];
            if (!results.TryGetValue(ret.Type, out result)) results[ret.Type] = result = Declare(ret.Type);
            Stloc(result);
            Ldloc(result);
            _tokens.Emit(_il, OpCodes.Ldfld, ret.Fuel);
            Stloc(fuel);
        }
        Ldloc(_st);
        Ldloc(fuel);
        _tokens.Emit(_il, OpCodes.Stfld, ClrTypes.StFuel);
        _root._fuelSynced = true;
        if (counts) RestoreDepth();
        CheckFuel();
        ReloadMemory();
        if (result != null)
        {
            Ldloc(result);
            _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.FuelResultOf(ft.Results[0]).Value);
            Push(ft.Results[0]);
        }
    }

    /// <summary>A self-call not inlined, in a body passing fuel: fuel in as the last argument, out with the result.</summary>
    private void EmitFuelPassingSelfCall(MethodBuilder body)
    {
        Operands(_type.Params.Length);
        LdCtx();
        _il.Emit(OpCodes.Ldloc, _fuel!);
        LdDepth();
        _il.Emit(OpCodes.Call, body);
        LocalBuilder? result = null;
        if (_type.Results.Length == 0)
        {
            _il.Emit(OpCodes.Stloc, _fuel!);
        }
        else
        {
            result = _root._fuelResult ??= Declare(ClrTypes.FuelResultOf(_type.Results[0]).Type);
            _il.Emit(OpCodes.Stloc, result);
            _il.Emit(OpCodes.Ldloc, result);
            _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.FuelResultOf(_type.Results[0]).Fuel);
            _il.Emit(OpCodes.Stloc, _fuel!);
        }
        _root._fuelSynced = false; // ExecState.Fuel was not written
        CheckFuel();
        ReloadMemory();
        if (result != null)
        {
            _il.Emit(OpCodes.Ldloc, result);
            _tokens.Emit(_il, OpCodes.Ldfld, ClrTypes.FuelResultOf(_type.Results[0]).Value);
            Push(_type.Results[0]);
        }
    }

    /// <summary>The fuel-passing body's return: the result and the fuel local, no store to <see cref="ExecState.Fuel"/>.</summary>
    private void EmitFuelPassingReturn(int resultSlot)
    {
        if (_type.Results.Length == 0)
        {
            _il.Emit(OpCodes.Ldloc, _fuel!);
            _il.Emit(OpCodes.Ret);
            return;
        }
        var ret = ClrTypes.FuelResultOf(_type.Results[0]);
        var result = _fuelResult ??= Declare(ret.Type);
        _il.Emit(OpCodes.Ldloca, result);
        LdSlot(resultSlot);
        _tokens.Emit(_il, OpCodes.Stfld, ret.Value);
        _il.Emit(OpCodes.Ldloca, result);
        _il.Emit(OpCodes.Ldloc, _fuel!);
        _tokens.Emit(_il, OpCodes.Stfld, ret.Fuel);
        _il.Emit(OpCodes.Ldloc, result);
        _il.Emit(OpCodes.Ret);
    }
}
