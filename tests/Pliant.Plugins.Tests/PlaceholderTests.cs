namespace Pliant.Plugins.Tests;

public class ProjectLayoutTests
{
    [Fact]
    public void PluginsAssemblyLoads() => Assert.NotNull(typeof(Pliant.Plugins.PluginsAssembly).Assembly);
}
