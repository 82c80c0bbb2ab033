namespace Pliant.Plugins;

/// <summary>What a connection does when one of its plugins faults.</summary>
public enum PluginFaultPolicy
{
    /// <summary>Detach the plugin, restore what it replaced, keep the connection (the default).</summary>
    Detach,
    /// <summary>Detach the plugin and close the connection with <see cref="PluginHost.FaultErrorCode"/>.</summary>
    CloseConnection,
}
