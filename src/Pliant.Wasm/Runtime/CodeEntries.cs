using System.Reflection;

namespace Pliant.Wasm.Runtime;

/// <summary>
/// The entry points of a compiled module's functions, shared by the module and the function values of its
/// instances (which keep this, not the module and its decoded bodies, alive).
/// <para>An entry taken at compile time (<c>GetFunctionPointer</c> of a method the JIT has not compiled yet) is a
/// precode: an indirect jump to the code, one more per call. Once the method is compiled, <c>GetFunctionPointer</c>
/// gives the code itself (the runtime never recompiles methods of a dynamic assembly: they get no tiers; should it
/// give the precode again, nothing changes). <see cref="CompiledModule.PrepareAll"/> and the first typed delegate of
/// a function (<see cref="AtMachineCode"/>) record that code here, for the instances created afterwards.</para>
/// <para>Compile records the methods' metadata tokens only: the entries are resolved from them (a token lookup and a
/// precode each, ~1-2 µs per function) at the first use — the first instance, <see cref="Set"/> — not in every compile
/// of a module that may never be instantiated (a compile's cost is the bench's compile figure). The code itself is
/// complete at Compile: the type is created, every method has its IL.</para>
/// </summary>
internal sealed class CodeEntries
{
    // Per defined function, the metadata token of its method in _holder's module; 0: no entry (nothing outside the
    // module's code can name the function: ModuleCompiler).
    private readonly int[] _tokens;
    // The entries, resolved from _tokens at the first use (Entries); null until then.
    private nint[]? _entries;
    // Per defined function: _entries holds its machine code.
    private readonly bool[] _atCode;
    private readonly Type _holder;
    private readonly int _imported;

    public CodeEntries(int[] tokens, Type holder, int importedFunctions)
    {
        _tokens = tokens;
        _atCode = new bool[tokens.Length];
        _holder = holder;
        _imported = importedFunctions;
    }

    /// <summary>Whether defined function <paramref name="i"/> has an entry (known at compile time, without resolving it).</summary>
    public bool HasEntry(int i) => _tokens[i] != 0;

    /// <summary>The entry of defined function <paramref name="i"/> (0 without one), and whether it is known to be its machine code.</summary>
    public (nint Entry, bool AtCode) Get(int i)
    {
        bool atCode = Volatile.Read(ref _atCode[i]); // before the entry, which Set writes first
        return (Entries[i], atCode);
    }

    /// <summary>Records the entry of <paramref name="method"/>, compiled, as defined function <paramref name="i"/>'s.</summary>
    public void Set(int i, MethodInfo method)
    {
        Entries[i] = method.MethodHandle.GetFunctionPointer(); // an aligned word: a racing Get reads either entry
        Volatile.Write(ref _atCode[i], true);
    }

    private nint[] Entries => Volatile.Read(ref _entries) ?? Resolve();

    /// <summary>
    /// Every entry from its token (the precode of a method not compiled yet, see above). Racing callers resolve the same
    /// entries; the first array published is kept, so a <see cref="Set"/> is never written to a discarded one.
    /// </summary>
    private nint[] Resolve()
    {
        var entries = new nint[_tokens.Length];
        var module = _holder.Module.ModuleHandle;
        for (int i = 0; i < entries.Length; i++)
            if (_tokens[i] != 0) entries[i] = module.ResolveMethodHandle(_tokens[i]).GetFunctionPointer();
        return Interlocked.CompareExchange(ref _entries, entries, null) ?? entries;
    }

    /// <summary>
    /// The defined function whose method <paramref name="method"/> is: ModuleCompiler names it "f" + its index in
    /// the module's function space, imports first (a fuel-passing body is "f" + index + "b"); -1 for other methods.
    /// </summary>
    public int DefinedIndexOf(MethodInfo method)
    {
        string name = method.Name;
        return name.Length > 1 && name[0] == 'f' && int.TryParse(name.AsSpan(1), System.Globalization.NumberStyles.None, null, out int index)
            && (uint)(index - _imported) < (uint)_tokens.Length ? index - _imported : -1;
    }

    /// <summary>
    /// <paramref name="f"/>, a function of this module, entered at its method's machine code, JIT-compiled now if it
    /// was not (else at its first call); looked up once per function of the module.
    /// </summary>
    public FunctionInstance AtMachineCode(FunctionInstance f)
    {
        if (f.AtMachineCode || f.Code != this) return f;
        int i = f.DefinedIndex;
        if (!Volatile.Read(ref _atCode[i]))
        {
            string name = "f" + (_imported + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var method = _holder.GetMethod(name, BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly);
            if (method is null) return f;
            System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(method.MethodHandle);
            Set(i, method);
        }
        return f.WithMachineCode(Entries[i]);
    }
}
