namespace Pliant.Plugins.Abi;

/// <summary>A plugin broke an invariant of the ABI (e.g. a pointer outside its memory); detaches the plugin.</summary>
internal sealed class PluginFaultException : Exception
{
    public PluginFaultException(string message) : base(message) { }
    public PluginFaultException() : base("plugin fault") { }
    public PluginFaultException(string message, Exception inner) : base(message, inner) { }
}
