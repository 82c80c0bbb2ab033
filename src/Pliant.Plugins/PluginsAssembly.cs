namespace Pliant.Plugins;

/// <summary>Marker for the plugin host assembly.</summary>
public static class PluginsAssembly
{
}
