namespace Pliant.Net;

/// <summary>Something that happened to a plugin of a connection (attached, detached, injected, refused...).</summary>
/// <param name="PluginId">The plugin's id (or "cc" / "timer" for core-side notices).</param>
/// <param name="Message">What happened, for logs and the application.</param>
public sealed record QuicPluginEvent(string PluginId, string Message);
