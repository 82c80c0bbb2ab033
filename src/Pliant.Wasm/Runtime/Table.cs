using Pliant.Wasm.Decoding;

namespace Pliant.Wasm.Runtime;

/// <summary>A table of references (funcref or externref).</summary>
public sealed class Table
{
    /// <summary>Elements; the array length is the table size. Replaced on growth.</summary>
    public object?[] Elements;

    /// <summary>Creates a table.</summary>
    public Table(ValType elemType, uint size, uint? max, uint cap, object? init = null)
    {
        if (size > cap) throw new WasmTrapException("table size exceeds the engine's cap");
        ElemType = elemType;
        Elements = new object?[size];
        if (init != null) Array.Fill(Elements, init);
        Max = max;
        Cap = cap;
    }

    /// <summary>Element type.</summary>
    public ValType ElemType { get; }

    /// <summary>Declared maximum.</summary>
    public uint? Max { get; }

    /// <summary>Engine cap.</summary>
    public uint Cap { get; }

    /// <summary>Current size.</summary>
    public int Size => Elements.Length;

    /// <summary>table.grow: returns the old size or -1.</summary>
    public int Grow(int delta, object? init)
    {
        uint old = (uint)Elements.Length;
        ulong want = old + (ulong)(uint)delta;
        if (want > (Max ?? uint.MaxValue) || want > Cap) return -1;
        var n = new object?[want];
        Array.Copy(Elements, n, old);
        if (init != null) n.AsSpan((int)old).Fill(init);
        Elements = n;
        return (int)old;
    }
}

/// <summary>A global variable. Exactly one of the typed fields is used, by <see cref="Type"/>.</summary>
public sealed class Global
{
    /// <summary>Creates a global.</summary>
    public Global(ValType type, bool mutable)
    {
        Type = type;
        Mutable = mutable;
    }

    /// <summary>Value type.</summary>
    public ValType Type { get; }

    /// <summary>Whether the global is mutable.</summary>
    public bool Mutable { get; }

#pragma warning disable CS1591
    public int I32;
    public long I64;
    public float F32;
    public double F64;
    public System.Runtime.Intrinsics.Vector128<byte> V128;
    public object? Ref;
#pragma warning restore CS1591

    /// <summary>The value as a <see cref="WasmValue"/>.</summary>
    public WasmValue Value
    {
        get => Type switch
        {
            ValType.I32 => WasmValue.FromI32(I32),
            ValType.I64 => WasmValue.FromI64(I64),
            ValType.F32 => WasmValue.FromF32(F32),
            ValType.F64 => WasmValue.FromF64(F64),
            ValType.V128 => WasmValue.FromV128(V128),
            _ => WasmValue.FromRef(Type, Ref),
        };
        set
        {
            switch (Type)
            {
                case ValType.I32: I32 = value.I32; break;
                case ValType.I64: I64 = value.I64; break;
                case ValType.F32: F32 = value.F32; break;
                case ValType.F64: F64 = value.F64; break;
                case ValType.V128: V128 = value.V128; break;
                default: Ref = value.Ref; break;
            }
        }
    }
}
