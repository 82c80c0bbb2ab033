namespace Pliant.Plugins;

/// <summary>What a plugin instance has cost so far (<see cref="PluginInstance.Usage"/>).</summary>
/// <param name="Calls">Outermost calls into the plugin (a call that reaches back into the plugin counts once).</param>
/// <param name="TimeInside">Wall time spent in those calls, host functions the plugin called included.</param>
/// <param name="Fuel">Fuel burned: one unit per instruction executed, plus host functions and bulk memory work (docs/plugin-abi.md "Limits").</param>
/// <param name="EventsDropped">Events (<c>emit_event</c>, <c>log</c>) dropped by the per-call and per-instance rate limits.</param>
public readonly record struct PluginUsage(long Calls, TimeSpan TimeInside, long Fuel, long EventsDropped = 0)
{
    /// <summary>The sum of two usages (e.g. over the plugins of a process).</summary>
    public static PluginUsage operator +(PluginUsage a, PluginUsage b) =>
        new(a.Calls + b.Calls, a.TimeInside + b.TimeInside, a.Fuel + b.Fuel, a.EventsDropped + b.EventsDropped);

    /// <summary>The usage between two readings.</summary>
    public static PluginUsage operator -(PluginUsage a, PluginUsage b) =>
        new(a.Calls - b.Calls, a.TimeInside - b.TimeInside, a.Fuel - b.Fuel, a.EventsDropped - b.EventsDropped);

    /// <summary>The same figures as <see cref="op_Addition"/> (for languages without operators).</summary>
    public static PluginUsage Add(PluginUsage a, PluginUsage b) => a + b;

    /// <summary>The same figures as <see cref="op_Subtraction"/> (for languages without operators).</summary>
    public static PluginUsage Subtract(PluginUsage a, PluginUsage b) => a - b;
}
