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
/// </summary>
internal sealed class CodeEntries
{
    private readonly nint[] _entries;
    // Per defined function: _entries holds its machine code.
    private readonly bool[] _atCode;
    private readonly Type _holder;
    private readonly int _imported;

    public CodeEntries(nint[] entries, Type holder, int importedFunctions)
    {
        _entries = entries;
        _atCode = new bool[entries.Length];
        _holder = holder;
        _imported = importedFunctions;
    }

    /// <summary>The entry of defined function <paramref name="i"/>, and whether it is known to be its machine code.</summary>
    public (nint Entry, bool AtCode) Get(int i)
    {
        bool atCode = Volatile.Read(ref _atCode[i]); // before the entry, which Set writes first
        return (_entries[i], atCode);
    }

    /// <summary>Records the entry of <paramref name="method"/>, compiled, as defined function <paramref name="i"/>'s.</summary>
    public void Set(int i, MethodInfo method)
    {
        _entries[i] = method.MethodHandle.GetFunctionPointer(); // an aligned word: a racing Get reads either entry
        Volatile.Write(ref _atCode[i], true);
    }

    /// <summary>
    /// The defined function whose method <paramref name="method"/> is: ModuleCompiler names it "f" + its index in
    /// the module's function space, imports first (a fuel-passing body is "f" + index + "b"); -1 for other methods.
    /// </summary>
    public int DefinedIndexOf(MethodInfo method)
    {
        string name = method.Name;
        return name.Length > 1 && name[0] == 'f' && int.TryParse(name.AsSpan(1), System.Globalization.NumberStyles.None, null, out int index)
            && (uint)(index - _imported) < (uint)_entries.Length ? index - _imported : -1;
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
        return f.WithMachineCode(_entries[i]);
    }
}
