using Pliant.Net;

namespace Pliant.Plugins;

/// <summary>Attaching plugins to connections of the async API (<see cref="QuicConnection"/>).</summary>
public static class QuicConnectionPluginExtensions
{
    /// <summary>
    /// Attaches <paramref name="module"/> to the running <paramref name="connection"/> as an application
    /// plugin (DESIGN §4): its operations take effect from the next packet. Failures inside the plugin
    /// later detach it and raise <see cref="QuicConnection.PluginEvent"/>; they never fail the connection.
    /// </summary>
    /// <exception cref="PluginLoadException">The module cannot be bound (bad manifest, unknown operation...).</exception>
    /// <exception cref="InvalidOperationException">The connection is closed.</exception>
    public static PluginInstance AttachPlugin(this QuicConnection connection, PluginHost host, PluginModule module)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(module);
        return connection.RunOnCore(core => host.Attach(core, module, PluginOrigin.Application));
    }

    /// <summary>Detaches a plugin by id, restoring what it replaced; false if it was not attached.</summary>
    public static bool DetachPlugin(this QuicConnection connection, PluginHost host, string pluginId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(host);
        return connection.RunOnCore(core => host.Detach(core, pluginId));
    }
}
