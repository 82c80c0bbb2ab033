namespace Pliant.Plugins.Host;

/// <summary>Produces the values of a plugin's transport parameters by running its write exports in a scratch instance.</summary>
internal static class TransportParameterWriter
{
    public static IReadOnlyList<(ulong Id, byte[] Value)> Write(PluginModule module)
    {
        var specs = module.Manifest.TransportParameters;
        if (!specs.Any(t => t.Write != null)) return [];
        var scratch = new PluginInstance(module, PluginOrigin.Host, binding: null);
        var result = new List<(ulong, byte[])>();
        var buffer = new byte[1024];
        foreach (var spec in specs)
        {
            if (spec.Write == null) continue;
            var write = scratch.Export<Func<int, int>>(spec.Write);
            int rc = -1;
            int n = scratch.WithOutput(buffer, () => scratch.Guard($"transport parameter 0x{spec.Id:x} write", () => rc = write(buffer.Length)), out bool ok);
            if (!ok) throw new PluginLoadException($"plugin {module.Id}: writing transport parameter 0x{spec.Id:x} failed: {scratch.DetachReason}");
            if (rc >= 0) result.Add((spec.Id, buffer[..n]));
        }
        return result;
    }
}
