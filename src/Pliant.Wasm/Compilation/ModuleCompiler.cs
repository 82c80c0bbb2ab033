using System.Reflection;
using System.Reflection.Emit;
using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Compilation;

/// <summary>
/// Compiles every function of a validated module into static methods of one type, in a collectible
/// dynamic assembly shared by up to <see cref="ModulesPerAssembly"/> modules compiled one after another.
/// </summary>
/// <remarks>
/// A fresh assembly per module cost more than the functions of a small module: creating it (~40 µs
/// with its loader heaps, then their unmapping in a finalizer) and, in each new assembly, one member
/// reference per runtime helper used (~1-2 µs each, 40-80 helpers: the first <c>GetMethodMetadataToken</c>
/// of each). A shared assembly pays both once per batch. The price: a batch's code is freed when every
/// module of the batch is unreachable, so a live module keeps at most <c>ModulesPerAssembly - 1</c>
/// others' code (IL and machine code, not their instances or memories).
/// </remarks>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal static class ModuleCompiler
{
    /// <summary>Modules whose types share one dynamic assembly and its member references.</summary>
    internal const int ModulesPerAssembly = 16;

    private static int _counter;

    // Initialised before any compiled code is JIT-compiled: the generated code reads FloatConstants' fields,
    // and for a class not yet initialised the JIT adds an initialisation check with a helper call to each
    // method using them (a call in a loop nest also makes the register allocator spill vector locals).
    static ModuleCompiler() => System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(Runtime.FloatConstants).TypeHandle);
    private static readonly object Gate = new();
    // Weak: the batch stays reusable while one of its modules is alive (each holds its Emitter), and
    // the assembly can be collected once none is.
    private static WeakReference<Emitter>? _open;

    /// <summary>One dynamic assembly and module with the metadata tokens of the runtime helpers it references.</summary>
    internal sealed class Emitter
    {
        public readonly ModuleBuilder Module;
        public readonly MemberTokens Tokens;
        // Writes every method's IL; its buffers grow to the largest method and are reused (the batch is one compilation's at a time).
        public readonly IlWriter Writer;
        // The base class of the batch's function types, an empty abstract class of this module, created with it. As
        // a parent it is named by its TypeDef token: System.Object, the default, is a TypeRef that DefineType and
        // CreateType each look up again in native metadata, ~4 % of compiling a module of ten small functions.
        public readonly TypeBuilder Base;
        public int Types;

        public Emitter()
        {
            int id = Interlocked.Increment(ref _counter);
            var ab = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("PliantWasm" + id), AssemblyBuilderAccess.RunAndCollect);
            Module = ab.DefineDynamicModule("wasm");
            Tokens = new MemberTokens(Module);
            Writer = new IlWriter(Tokens);
            Base = Module.DefineType("WasmBase", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.BeforeFieldInit);
            Base.CreateType();
        }
    }

    /// <summary>Takes the open batch for this compilation alone (concurrent compilations get new ones).</summary>
    private static Emitter Rent()
    {
        lock (Gate)
        {
            if (_open != null && _open.TryGetTarget(out var e))
            {
                _open = null;
                return e;
            }
        }
        return new Emitter();
    }

    private static void Return(Emitter e)
    {
        if (e.Types >= ModulesPerAssembly) return;
        lock (Gate) _open = new WeakReference<Emitter>(e);
    }

    /// <summary>
    /// Compiles <paramref name="m"/>: each function's method token (0: no entry; <see cref="Runtime.CodeEntries"/>), the type holding them, the batch, and per
    /// function whether it is depth-neutral (<see cref="CallGraph.Neutral"/>).
    /// </summary>
    public static (int[] Tokens, Type Holder, Emitter Batch, bool[] Neutral) Compile(WasmModule m, WasmLimits limits)
    {
        var emitter = Rent();
        // A failed compilation leaves an unfinished type behind: that batch is not reused.
        var result = Compile(emitter, m, limits);
        Return(emitter);
        return (result.Tokens, result.Holder, emitter, result.Neutral);
    }

    private static (int[] Tokens, Type Holder, bool[] Neutral) Compile(Emitter emitter, WasmModule m, WasmLimits limits)
    {
        int typeId = emitter.Types++;
        var tb = emitter.Module.DefineType("WasmFunctions" + typeId, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract, emitter.Base);
        var builders = new MethodBuilder[m.Functions.Count];
        var calls = CallGraph.Of(m);
        // Self-recursive functions nothing outside the module's code can reach (not exported, in no element
        // segment or global, not the start function): no wrapper, their callers call the fuel-passing body.
        var direct = new bool[builders.Length];
        bool[]? referenced = null;
        // Per type index, the parameter types of its functions' methods (functions of one type share the array:
        // DefineMethod copies it).
        var paramTypes = new Type[]?[m.Types.Count];
        for (int i = 0; i < builders.Length; i++)
        {
            int typeIndex = (int)m.Functions[i];
            var ft = m.Types[typeIndex];
            string name = MethodName(i + m.ImportedFunctionCount);
            if (FunctionCompiler.PassesFuel(m, i, limits, calls.Scans[i].CallsSelf) && !(referenced ??= Referenced(m))[i])
            {
                direct[i] = true;
                builders[i] = FunctionCompiler.DefineFuelBody(tb, name + "b", ft); // named as a body: no entry (CodeEntries)
                continue;
            }
            // Fully optimised at first call, and no blanket zeroing of the frame: FunctionCompiler zeroes the wasm
            // locals itself (the JIT drops what is overwritten before use), and the local whose address the stack
            // check takes is never read — zeroing it was a store on every call (the JIT still zeroes references and byrefs).
            builders[i] = IlWriter.DefineCompiledMethod(tb, name, ClrTypes.Return(ft), paramTypes[typeIndex] ??= ClrTypes.Params(ft));
        }
        for (int i = 0; i < builders.Length; i++)
        {
            var ft = m.Types[(int)m.Functions[i]];
            // A self-recursive function's body takes and returns fuel in registers; its method is a wrapper
            // (or, where no wrapper is needed, the body alone).
            var body = direct[i] ? builders[i]
                : FunctionCompiler.PassesFuel(m, i, limits, calls.Scans[i].CallsSelf) ? FunctionCompiler.DefineFuelBody(tb, builders[i].Name + "b", ft) : null;
            var il = emitter.Writer;
            // The size hint is for the fallback generator: the usual IL (3-4 bytes per byte of wasm code), so its buffer rarely grows by copying.
            il.Begin(body ?? builders[i], Math.Min(4 * m.Bodies[i].Size + 256, 1 << 16));
            var fc = new FunctionCompiler(il, emitter.Tokens, m, builders, ft, m.Bodies[i], limits, calls, i) { SelfBody = body, Direct = direct };
            fc.Compile(m.Bodies[i].Code);
            il.Finish();
            if (body != null && !direct[i])
            {
                il.Begin(builders[i], 64);
                FunctionCompiler.EmitFuelWrapper(il, emitter.Tokens, ft, body);
                il.Finish();
            }
        }
        var type = tb.CreateType();
        // The entry points come from the method tokens when first needed (CodeEntries): no reflection objects, no
        // helper method to JIT (a method that collected them with ldftn cost ~350 µs per module, as much as compiling
        // 4 KiB of code). A function without a wrapper has no entry (0): nothing outside the module's code can name it.
        var tokens = new int[builders.Length];
        for (int i = 0; i < builders.Length; i++) tokens[i] = direct[i] ? 0 : builders[i].MetadataToken;
        return (tokens, type, calls.Neutral);
    }

    // "f0", "f1"...: the names of the first functions of the function space, made once (a module's compile made each anew).
    private static readonly string?[] Names = new string?[1024];

    /// <summary>The name of the method of function <paramref name="index"/> (imports first): "f" + the index (<see cref="Runtime.CodeEntries.DefinedIndexOf"/>).</summary>
    private static string MethodName(int index) =>
        (uint)index < (uint)Names.Length ? Names[index] ??= Format(index) : Format(index);

    private static string Format(int index) => "f" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Per defined function, whether something other than a call instruction can reach it: an export, the start
    /// function, a <c>ref.func</c> in an element segment or a global's initialiser (a <c>ref.func</c> in code
    /// must name one of those: the validator's C.refs, WebAssembly 2.0 §3.4.10 / §3.1.3).
    /// </summary>
    private static bool[] Referenced(WasmModule m)
    {
        var r = new bool[m.Functions.Count];
        int imported = m.ImportedFunctionCount;
        void Mark(long f)
        {
            if (f >= imported && f - imported < r.Length) r[f - imported] = true;
        }
        foreach (var e in m.Exports) if (e.Kind == ExternKind.Func) Mark(e.Index);
        if (m.Start is uint s) Mark(s);
        foreach (var g in m.Globals) foreach (var ins in g.Init.Code) if (ins.Op == 0xD2) Mark(ins.Imm);
        foreach (var e in m.Elements) foreach (var it in e.Items) foreach (var ins in it.Code) if (ins.Op == 0xD2) Mark(ins.Imm);
        return r;
    }
}
