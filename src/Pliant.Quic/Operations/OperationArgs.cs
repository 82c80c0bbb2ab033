namespace Pliant.Quic.Operations;

/// <summary>Where a handler attaches to a protocol operation (PQUIC's anchors).</summary>
public enum Anchor
{
    /// <summary>Runs instead of the native implementation (one per operation).</summary>
    Replace,
    /// <summary>Observes the inputs before the operation runs.</summary>
    Pre,
    /// <summary>Observes inputs and result after the operation ran.</summary>
    Post,
}

/// <summary>
/// Inputs and output of one protocol-operation call: up to four integer arguments, the path id, a
/// result, and optional bytes. The meaning of each slot per operation is in <see cref="OperationCatalog"/>
/// (and the table of docs/plugin-abi.md generated from it).
/// </summary>
public ref struct OperationArgs
{
    /// <summary>First argument.</summary>
    public ulong A0;
    /// <summary>Second argument.</summary>
    public ulong A1;
    /// <summary>Third argument.</summary>
    public ulong A2;
    /// <summary>Fourth argument.</summary>
    public ulong A3;
    /// <summary>The path the call concerns (recovery, ACK and congestion-control operations); 0 until multipath.</summary>
    public ulong Path;
    /// <summary>The operation's result; for Replace handlers it holds the native value on entry.</summary>
    public ulong Result;
    /// <summary>Bytes the operation hands over (empty for every current operation).</summary>
    public ReadOnlySpan<byte> Data;
}

/// <summary>A handler attached to an operation.</summary>
public delegate void OperationHandler(ref OperationArgs args);
