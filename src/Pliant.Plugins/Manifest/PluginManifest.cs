namespace Pliant.Plugins;

/// <summary>
/// The manifest a plugin carries in its <c>pliant.manifest</c> custom section (JSON, see docs/plugin-abi.md):
/// who it is, which protocol operations it binds, which frames and transport parameters it defines.
/// </summary>
public sealed class PluginManifest
{
    /// <summary>Name of the custom section holding the manifest.</summary>
    public const string SectionName = "pliant.manifest";

    /// <summary>Plugin identifier (letters, digits, '-', '_', '.'; at most 64 characters).</summary>
    public required string Id { get; init; }

    /// <summary>Version string.</summary>
    public required string Version { get; init; }

    /// <summary>Operation bindings: export → (operation, anchor).</summary>
    public IReadOnlyList<OperationBinding> Bindings { get; init; } = [];

    /// <summary>Frame types the plugin defines.</summary>
    public IReadOnlyList<FrameSpec> Frames { get; init; } = [];

    /// <summary>Transport parameters the plugin defines.</summary>
    public IReadOnlyList<TransportParameterSpec> TransportParameters { get; init; } = [];

    /// <summary>Memory the plugin needs, in 64 KiB pages (0 = whatever the module declares).</summary>
    public uint MemoryPages { get; init; }

    /// <summary>Export called once when the plugin is attached to a connection, <c>() -&gt; ()</c>; optional.</summary>
    public string? Init { get; init; }

    /// <summary>Export called when a timer set with <c>set_timer</c> fires, <c>(i32 id) -&gt; ()</c>; optional.</summary>
    public string? OnTimer { get; init; }

    /// <summary>The JSON text as found in the module.</summary>
    public string Json { get; init; } = "";
}

/// <summary>An export bound to a protocol operation.</summary>
/// <param name="Operation">Operation name, one of the operation table's known operations.</param>
/// <param name="Anchor">"replace", "pre" or "post".</param>
/// <param name="Export">Export name, signature <c>() -&gt; ()</c>.</param>
public sealed record OperationBinding(string Operation, string Anchor, string Export);

/// <summary>A frame type defined by a plugin.</summary>
/// <param name="Type">Frame type (must be unknown to the core).</param>
/// <param name="Process">Export <c>(i32 len) -&gt; i32</c>: parses and processes one received frame; returns bytes consumed, negative if malformed.</param>
/// <param name="Write">Export <c>(i32 max) -&gt; i64</c>: writes one frame body with <c>write_frame_bytes</c>; returns a token (negative = nothing to send).</param>
/// <param name="OnAcked">Export <c>(i64 token) -&gt; ()</c>, optional.</param>
/// <param name="OnLost">Export <c>(i64 token) -&gt; ()</c>, optional.</param>
/// <param name="AckEliciting">Whether the frame elicits an ACK.</param>
public sealed record FrameSpec(ulong Type, string Process, string? Write, string? OnAcked, string? OnLost, bool AckEliciting);

/// <summary>A transport parameter defined by a plugin.</summary>
/// <param name="Id">Transport parameter id.</param>
/// <param name="Write">Export <c>(i32 max) -&gt; i32</c>: writes the value with <c>write_frame_bytes</c>; returns 0, negative to omit. Optional.</param>
/// <param name="Process">Export <c>(i32 len) -&gt; i32</c>: reads the peer's value with <c>frame_data</c>; negative = invalid. Optional.</param>
public sealed record TransportParameterSpec(ulong Id, string? Write, string? Process);
