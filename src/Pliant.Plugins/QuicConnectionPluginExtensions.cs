using Pliant.Quic.Connection;

namespace Pliant.Plugins;

/// <summary>
/// Attaching plugins to running connections of an owner that serialises access to its core (Pliant.Net's
/// <c>QuicConnection</c> implements <see cref="IConnectionCoreOwner"/>, the attach hook defined in Pliant.Quic).
/// </summary>
public static class QuicConnectionPluginExtensions
{
    /// <summary>
    /// Attaches <paramref name="module"/> to the running <paramref name="connection"/> as an application
    /// plugin (DESIGN §4): its operations take effect from the next packet. Failures inside the plugin
    /// later detach it and raise a plugin event on the connection; they never fail the connection.
    /// </summary>
    /// <exception cref="PluginLoadException">The module cannot be bound (bad manifest, unknown operation...).</exception>
    /// <exception cref="InvalidOperationException">The connection is closed.</exception>
    public static PluginInstance AttachPlugin(this IConnectionCoreOwner connection, PluginHost host, PluginModule module)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(module);
        return connection.RunOnCore(core => host.Attach(core, module, PluginOrigin.Application));
    }

    /// <summary>Detaches a plugin by id, restoring what it replaced; false if it was not attached.</summary>
    public static bool DetachPlugin(this IConnectionCoreOwner connection, PluginHost host, string pluginId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(host);
        return connection.RunOnCore(core => host.Detach(core, pluginId));
    }
}
