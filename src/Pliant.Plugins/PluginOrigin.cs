namespace Pliant.Plugins;

/// <summary>Who asked for a plugin to run on a connection.</summary>
public enum PluginOrigin
{
    /// <summary>The local application attached it.</summary>
    Application,
    /// <summary>The peer sent it over the connection (subject to trust policy).</summary>
    Peer,
    /// <summary>The host composing the stack attached it.</summary>
    Host,
}
