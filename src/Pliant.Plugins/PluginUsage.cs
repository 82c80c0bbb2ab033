namespace Pliant.Plugins;

/// <summary>What a plugin instance has cost so far (<see cref="PluginInstance.Usage"/>).</summary>
/// <param name="Calls">Outermost calls into the plugin (a call that reaches back into the plugin counts once).</param>
/// <param name="TimeInside">Wall time spent in those calls, host functions the plugin called included.</param>
/// <param name="Fuel">Fuel burned: one unit per function entry and loop iteration, plus bulk memory work (docs/plugin-abi.md).</param>
public readonly record struct PluginUsage(long Calls, TimeSpan TimeInside, long Fuel)
{
    /// <summary>The sum of two usages (e.g. over the plugins of a process).</summary>
    public static PluginUsage operator +(PluginUsage a, PluginUsage b) => new(a.Calls + b.Calls, a.TimeInside + b.TimeInside, a.Fuel + b.Fuel);

    /// <summary>The usage between two readings.</summary>
    public static PluginUsage operator -(PluginUsage a, PluginUsage b) => new(a.Calls - b.Calls, a.TimeInside - b.TimeInside, a.Fuel - b.Fuel);

    /// <summary>The same figures as <see cref="op_Addition"/> (for languages without operators).</summary>
    public static PluginUsage Add(PluginUsage a, PluginUsage b) => a + b;

    /// <summary>The same figures as <see cref="op_Subtraction"/> (for languages without operators).</summary>
    public static PluginUsage Subtract(PluginUsage a, PluginUsage b) => a - b;
}
