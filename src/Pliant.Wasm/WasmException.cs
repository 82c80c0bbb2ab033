namespace Pliant.Wasm;

/// <summary>Base type of every error the WebAssembly engine reports.</summary>
public class WasmException : Exception
{
    /// <summary>Creates an error with a message.</summary>
    public WasmException(string message) : base(message) { }
}

/// <summary>The binary is not a well-formed WebAssembly module (spec: "malformed").</summary>
public sealed class WasmMalformedException : WasmException
{
    /// <summary>Creates a malformed-module error.</summary>
    public WasmMalformedException(string message) : base(message) { }
}

/// <summary>The module decodes but fails validation (spec: "invalid").</summary>
public sealed class WasmInvalidException : WasmException
{
    /// <summary>Creates a validation error.</summary>
    public WasmInvalidException(string message) : base(message) { }
}

/// <summary>Imports could not be resolved or do not match (spec: "unlinkable").</summary>
public sealed class WasmLinkException : WasmException
{
    /// <summary>Creates a link error.</summary>
    public WasmLinkException(string message) : base(message) { }
}

/// <summary>A trap: execution aborted with one of the spec's messages (e.g. "integer divide by zero").</summary>
public sealed class WasmTrapException : WasmException
{
    /// <summary>Creates a trap with the spec's message.</summary>
    public WasmTrapException(string message) : base(message) { }
}
