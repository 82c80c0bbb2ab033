using Pliant.Quic.Operations;

namespace Pliant.Plugins;

/// <summary>Operation names and anchors a manifest may bind: the core's operation table.</summary>
internal static class KnownOperations
{
    public static IReadOnlyList<string> Names => OperationTable.KnownOperations;

    public static bool IsAnchor(string anchor) => TryParseAnchor(anchor, out _);

    public static bool TryParseAnchor(string anchor, out Anchor value)
    {
        value = anchor switch { "replace" => Anchor.Replace, "pre" => Anchor.Pre, _ => Anchor.Post };
        return anchor is "replace" or "pre" or "post";
    }

    /// <summary>True when the operation supports the anchor.</summary>
    public static bool Supports(string operation, string anchor) =>
        TryParseAnchor(anchor, out var a) && OperationTable.IsValid(operation, a);
}
