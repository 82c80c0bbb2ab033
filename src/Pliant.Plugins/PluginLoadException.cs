namespace Pliant.Plugins;

/// <summary>A plugin could not be loaded: invalid module, bad manifest, or a manifest that does not match the module.</summary>
public sealed class PluginLoadException : Exception
{
    /// <summary>Creates the error.</summary>
    public PluginLoadException(string message) : base(message) { }

    /// <summary>Creates the error with its cause.</summary>
    public PluginLoadException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the error with no message.</summary>
    public PluginLoadException() : base("plugin could not be loaded") { }
}
