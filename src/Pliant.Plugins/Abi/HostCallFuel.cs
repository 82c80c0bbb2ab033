namespace Pliant.Plugins.Abi;

/// <summary>
/// What host functions cost a plugin in fuel (docs/plugin-abi.md "Limits"): a call into the host is
/// dearer than a WebAssembly instruction, bytes moved cost in proportion, and an event (a string, an
/// allocation and an application callback) costs most. The compiled caller checks its fuel as soon as
/// the host function returns, so a loop of host calls runs out like any other loop.
/// </summary>
internal static class HostCallFuel
{
    /// <summary>Every host function call.</summary>
    public const long Base = 20;

    /// <summary>Bytes per unit for functions that copy bytes (<c>write_frame_bytes</c>, <c>frame_data</c>, <c>send_datagram</c>).</summary>
    public const int BytesPerUnit = 8;

    /// <summary><c>emit_event</c> and <c>log</c>: this plus one unit per byte of text, whether or not the event is dropped.</summary>
    public const long Event = 1000;

    /// <summary>The cost of a call copying <paramref name="bytes"/> bytes.</summary>
    public static long Copying(int bytes) => Base + (Math.Max(bytes, 0) / BytesPerUnit);
}
