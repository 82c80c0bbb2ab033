using Pliant.Quic;
using Pliant.Quic.Operations;
using Pliant.Quic.Wire;

namespace Pliant.Plugins.Host;

/// <summary>
/// A frame type defined by a plugin: parse/process, write with reservation, on-acked and on-lost,
/// each a metered call into the plugin. The core sees it as a frame extension.
/// </summary>
internal sealed class PluginFrame : IFrameExtension
{
    private readonly PluginInstance _plugin;
    private readonly Func<int, int> _process;
    private readonly Func<int, long>? _write;
    private readonly Action<long>? _onAcked, _onLost;
    private int _pending;

    /// <summary>A write returning -2 ("does not fit") keeps its reservation only when less than this was offered.</summary>
    private const int KeepPendingBelow = 1000;

    public PluginFrame(PluginInstance plugin, FrameSpec spec)
    {
        _plugin = plugin;
        Spec = spec;
        _process = plugin.Export<Func<int, int>>(spec.Process);
        if (spec.Write != null) _write = plugin.Export<Func<int, long>>(spec.Write);
        if (spec.OnAcked != null) _onAcked = plugin.Export<Action<long>>(spec.OnAcked);
        if (spec.OnLost != null) _onLost = plugin.Export<Action<long>>(spec.OnLost);
    }

    public FrameSpec Spec { get; }
    public ulong FrameType => Spec.Type;
    public bool IsAckEliciting => Spec.AckEliciting;
    public bool HasPending => _pending > 0 && _write != null && _plugin.IsAttached;

    /// <summary>Marks one more frame to send.</summary>
    public void Reserve() => _pending++;

    /// <summary>Processes one received frame (bytes after the type); returns bytes consumed.</summary>
    public int Process(ReadOnlySpan<byte> afterType, long nowUs)
    {
        int consumed = -1;
        int len = afterType.Length;
        bool ok = _plugin.IsAttached && _plugin.WithInput(afterType, () =>
            _plugin.Guard($"frame 0x{FrameType:x} process", () => consumed = _process(len)) ? 1 : 0) == 1;
        if (!ok)
            throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, $"plugin frame 0x{FrameType:x} could not be processed ({_plugin.DetachReason ?? "plugin detached"})", FrameType);
        if (consumed < 0 || consumed > len)
            throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, $"plugin {_plugin.Module.Id} rejected a malformed frame 0x{FrameType:x}", FrameType);
        return consumed;
    }

    /// <summary>Writes type + body; 0 if nothing fits or nothing is pending.</summary>
    public int Write(Span<byte> dest, out ulong token)
    {
        token = 0;
        if (!HasPending) return 0;
        int typeLen = VarInt.Length(FrameType);
        if (dest.Length <= typeLen) return 0;
        long tok = -1;
        int body = 0;
        var write = _write!;
        int max = dest.Length - typeLen;
        bool ok = _plugin.IsAttached;
        if (ok)
            body = _plugin.WithOutput(dest[typeLen..], () => _plugin.Guard($"frame 0x{FrameType:x} write", () => tok = write(max)), out ok);
        if (!ok) { _pending = 0; return 0; }
        if (tok == -2 && max < KeepPendingBelow) return 0; // does not fit in what is left of this packet: try the next one
        if (tok < 0) { _pending = 0; return 0; } // nothing to send after all: the plugin reserves again when it has
        _pending--;
        VarInt.Write(dest, FrameType);
        token = (ulong)tok;
        return typeLen + body;
    }

    public void OnAcked(ulong token)
    {
        if (_onAcked is { } f) _plugin.Guard($"frame 0x{FrameType:x} on_acked", () => f((long)token));
    }

    public void OnLost(ulong token)
    {
        if (_onLost is { } f) _plugin.Guard($"frame 0x{FrameType:x} on_lost", () => f((long)token));
    }
}
