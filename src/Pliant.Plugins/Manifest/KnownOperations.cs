namespace Pliant.Plugins;

/// <summary>Operation names and anchors a manifest may bind (the core's operation table).</summary>
internal static class KnownOperations
{
    public static IReadOnlyList<string> Names => Pliant.Plugins.Host.OperationNames.All;

    public static bool IsAnchor(string anchor) => anchor is "replace" or "pre" or "post";
}
