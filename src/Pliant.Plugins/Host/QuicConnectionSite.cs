using Pliant.Quic.Connection;

namespace Pliant.Plugins.Host;

/// <summary>The connection site backed by <see cref="QuicConnectionCore"/> (operation table, fields, frame extensions, timers).</summary>
internal sealed class QuicConnectionSite : IConnectionSite
{
    private readonly QuicConnectionCore _conn;

    private QuicConnectionSite(QuicConnectionCore conn) => _conn = conn;

    public static QuicConnectionSite For(QuicConnectionCore conn) => new(conn);

    private static NotSupportedException Pending() => new("the core's operation table is not merged yet");

    public long NowUs => throw Pending();
    public ulong GetField(int field) => throw Pending();
    public bool TrySetField(int field, ulong value) => throw Pending();
    public IDisposable AttachOperation(string operation, string anchor, SiteOperationHandler handler, string owner) => throw new InvalidOperationException("the core's operation table is not merged yet");
    public void DetachOwner(string owner) { }
    public void RegisterFrame(PluginFrame frame) => throw new InvalidOperationException("the core's frame extensions are not merged yet");
    public void UnregisterFrame(ulong frameType) { }
    public long ScheduleTimer(long atUs, Action<long> callback) => throw Pending();
    public void CancelTimer(long id) { }
    public void RaiseEvent(string pluginId, string message) { }
    public bool SendDatagram(ReadOnlySpan<byte> data) => _conn.SendDatagram(data);
}
