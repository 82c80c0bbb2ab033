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
/// Inputs and output of one protocol-operation call: up to four integer arguments, a result, and
/// optional bytes. The meaning of each slot per operation is in docs/contracts.md ("Operations").
/// </summary>
public ref struct OperationArgs
{
    public ulong A0;
    public ulong A1;
    public ulong A2;
    public ulong A3;
    /// <summary>The operation's result; for Replace handlers it holds the native value on entry.</summary>
    public ulong Result;
    public ReadOnlySpan<byte> Data;
}

/// <summary>A handler attached to an operation.</summary>
public delegate void OperationHandler(ref OperationArgs args);
