using System.Runtime.CompilerServices;
using Pliant.Plugins.Host;
using Pliant.Quic.Operations;

namespace Pliant.Plugins;

/// <summary>
/// Attaches plugins to connections: one instance per (connection, plugin), bound to the connection's
/// operation table, frame extensions and timers. A faulting plugin is detached from that connection only,
/// what it replaced is restored, and the connection raises a plugin event saying why.
/// </summary>
public sealed class PluginHost
{
    private readonly ConditionalWeakTable<IConnectionEnvironment, List<PluginBinding>> _bindings = new();
    private readonly Lock _lock = new();

    /// <summary>What happens to a connection when one of its plugins faults (default: detach only).</summary>
    public PluginFaultPolicy FaultPolicy { get; init; } = PluginFaultPolicy.Detach;

    /// <summary>Application error code of the CONNECTION_CLOSE sent under <see cref="PluginFaultPolicy.CloseConnection"/>.</summary>
    public ulong FaultErrorCode { get; init; } = 0x504c;

    /// <summary>
    /// Instantiates <paramref name="module"/> for <paramref name="connection"/> (a <c>QuicConnectionCore</c>, on
    /// the thread that drives it) and binds its manifest.
    /// Throws <see cref="PluginLoadException"/> if it cannot attach (e.g. an operation it replaces is taken, or
    /// a plugin with the same id is already attached).
    /// </summary>
    public PluginInstance Attach(IConnectionEnvironment connection, PluginModule module, PluginOrigin origin)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(module);
        List<PluginBinding> list;
        lock (_lock)
        {
            list = _bindings.GetOrCreateValue(connection);
            list.RemoveAll(b => !b.Instance.IsAttached);
            if (list.Exists(b => b.Instance.Module.Id == module.Id))
                throw new PluginLoadException($"plugin {module.Id} is already attached to this connection");
        }
        var binding = new PluginBinding(connection, module, origin)
        {
            CloseOnFault = FaultPolicy == PluginFaultPolicy.CloseConnection ? FaultErrorCode : null,
        };
        binding.Bind();
        lock (_lock) list.Add(binding);
        return binding.Instance;
    }

    /// <summary>
    /// The transport parameters <paramref name="module"/> defines, with the values its write exports produce:
    /// put them in <c>QuicConnectionOptions.ExtraTransportParameters</c> of connections that will run the plugin.
    /// </summary>
    public static IReadOnlyList<(ulong Id, byte[] Value)> TransportParametersOf(PluginModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return TransportParameterWriter.Write(module);
    }

    /// <summary>The plugins currently attached to <paramref name="connection"/>.</summary>
    public IReadOnlyList<PluginInstance> AttachedTo(IConnectionEnvironment connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        lock (_lock)
            return _bindings.TryGetValue(connection, out var list) ? [.. list.Where(b => b.Instance.IsAttached).Select(b => b.Instance)] : [];
    }

    /// <summary>Detaches plugin <paramref name="pluginId"/> from <paramref name="connection"/>, restoring what it replaced.</summary>
    public bool Detach(IConnectionEnvironment connection, string pluginId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        PluginBinding? binding;
        lock (_lock)
        {
            if (!_bindings.TryGetValue(connection, out var list)) return false;
            binding = list.Find(b => b.Instance.IsAttached && b.Instance.Module.Id == pluginId);
            if (binding == null) return false;
            list.Remove(binding);
        }
        binding.Detach("detached by request");
        return true;
    }
}
