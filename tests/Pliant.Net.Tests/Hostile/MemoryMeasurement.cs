namespace Pliant.Net.Tests.Hostile;

/// <summary>Tests that measure the process's heap run alone (no other test in parallel).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurement
{
    public const string Name = "Memory measurement";
}
