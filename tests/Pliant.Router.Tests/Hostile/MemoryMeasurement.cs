namespace Pliant.Router.Tests.Hostile;

/// <summary>
/// Tests that measure retained memory with <see cref="GC.GetTotalMemory(bool)"/> see the whole process:
/// they run in this collection, never in parallel with any other test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurement
{
    public const string Name = "Memory measurement";
}
