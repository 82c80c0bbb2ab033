namespace Pliant.Interop.Tests.Harness;

/// <summary>
/// Every interop test class joins this collection, so the cases run one at a time: each starts two
/// processes that want a core each, and the machines have two.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InteropCollection
{
    public const string Name = "Interop";
}
