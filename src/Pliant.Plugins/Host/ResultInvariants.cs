using Pliant.Quic.Operations;

namespace Pliant.Plugins.Host;

/// <summary>
/// Sanity checks on what a replacing plugin returns. A result that breaks one is a fault: the plugin is
/// detached and the native implementation takes over (e.g. a congestion window below two datagrams).
/// </summary>
internal static class ResultInvariants
{
    /// <summary>Returns why <paramref name="result"/> is unacceptable, or null.</summary>
    public delegate string? Check(ulong result, PluginBinding binding);

    public static Check? For(string operation, string anchor)
    {
        if (anchor != "replace") return null;
        return operation switch
        {
            "cc.window" => (r, b) =>
            {
                ulong floor = 2 * Math.Max(b.GetField((int)ConnectionField.MaxDatagramSize), 1200UL);
                return r < floor ? $"congestion window {r} is below two datagrams ({floor})" : null;
            },
            "recovery.pto" => (r, _) => r is < 1_000 or > 60_000_000 ? $"PTO of {r} µs is outside [1 ms, 60 s]" : null,
            _ => null,
        };
    }
}
