namespace Pliant.Wasm.Decoding;

/// <summary>A function signature: parameter and result types. Compared structurally.</summary>
public sealed class FuncType : IEquatable<FuncType>
{
    /// <summary>Creates a signature.</summary>
    public FuncType(ValType[] parameters, ValType[] results)
    {
        Params = parameters;
        Results = results;
    }

    /// <summary>Parameter types.</summary>
    public ValType[] Params { get; }

    /// <summary>Result types.</summary>
    public ValType[] Results { get; }

    /// <inheritdoc/>
    public bool Equals(FuncType? other) =>
        other is not null && Params.AsSpan().SequenceEqual(other.Params) && Results.AsSpan().SequenceEqual(other.Results);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as FuncType);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var p in Params) h.Add(p);
        h.Add(-1);
        foreach (var r in Results) h.Add(r);
        return h.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"[{string.Join(' ', Params.Select(p => p.Name()))}] -> [{string.Join(' ', Results.Select(p => p.Name()))}]";
}
