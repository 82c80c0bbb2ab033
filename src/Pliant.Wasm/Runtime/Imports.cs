namespace Pliant.Wasm.Runtime;

/// <summary>
/// Import resolution: maps (module, name) to an extern value — <see cref="FunctionInstance"/>,
/// <see cref="Table"/>, <see cref="Memory"/> or <see cref="Global"/>. Instances can be registered
/// under a module name (the spec harness's <c>register</c>).
/// </summary>
public sealed class Imports
{
    private readonly Dictionary<(string, string), object> _items = [];

    /// <summary>Defines one import.</summary>
    public Imports Define(string module, string name, object value)
    {
        _items[(module, name)] = value;
        return this;
    }

    /// <summary>Defines a typed host function.</summary>
    public Imports Function<TDelegate>(string module, string name, TDelegate fn) where TDelegate : Delegate =>
        Define(module, name, HostFunction.Create(fn));

    /// <summary>Makes every export of <paramref name="instance"/> importable under <paramref name="module"/>.</summary>
    public Imports Register(string module, Instance instance)
    {
        foreach (var (name, v) in instance.Exports) _items[(module, name)] = v;
        return this;
    }

    /// <summary>Looks an import up.</summary>
    public bool TryGet(string module, string name, out object value) => _items.TryGetValue((module, name), out value!);
}
