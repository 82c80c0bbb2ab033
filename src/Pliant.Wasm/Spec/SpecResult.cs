namespace Pliant.Wasm.Spec;

/// <summary>Outcome of running one wast2json file.</summary>
public sealed class SpecFileResult
{
    /// <summary>File name.</summary>
    public required string File { get; init; }
    /// <summary>Commands that passed.</summary>
    public int Passed { get; set; }
    /// <summary>Commands that failed.</summary>
    public int Failed { get; set; }
    /// <summary>Commands skipped (text-format modules).</summary>
    public int Skipped { get; set; }
    /// <summary>Failure descriptions (line: reason).</summary>
    public List<string> Failures { get; } = [];
}
