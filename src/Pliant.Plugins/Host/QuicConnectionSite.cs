using Pliant.Plugins.Abi;
using Pliant.Quic.Connection;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Host;

/// <summary>The connection site backed by <see cref="QuicConnectionCore"/>: operation table, fields, frame extensions, timers, events.</summary>
internal sealed class QuicConnectionSite : IConnectionSite
{
    private readonly QuicConnectionCore _conn;

    private QuicConnectionSite(QuicConnectionCore conn) => _conn = conn;

    public static QuicConnectionSite For(QuicConnectionCore conn) => new(conn);

    public QuicConnectionCore Connection => _conn;

    public long NowUs => (long)_conn.GetField(ConnectionField.Now);

    public ulong GetField(int field) => _conn.GetField((ConnectionField)field);

    public bool TrySetField(int field, ulong value) => _conn.TrySetField((ConnectionField)field, value);

    public IDisposable AttachOperation(string operation, string anchor, OperationHandler handler, string owner)
    {
        if (!KnownOperations.TryParseAnchor(anchor, out var a)) throw new ArgumentException($"unknown anchor {anchor}", nameof(anchor));
        _conn.NoteActivity();
        return _conn.Operations.Attach(operation, a, handler, owner); // the binding's handler runs straight from the table
    }

    public void DetachOwner(string owner)
    {
        _conn.NoteActivity();
        _conn.Operations.DetachOwner(owner);
    }

    public void NoteActivity() => _conn.NoteActivity();

    public void RegisterFrame(PluginFrame frame) => _conn.RegisterFrameExtension(frame);

    public void UnregisterFrame(ulong frameType) => _conn.UnregisterFrameExtension(frameType);

    public long ScheduleTimer(long atUs, Action<long, long> callback) => _conn.ScheduleTimer(atUs, callback);

    public void CancelTimer(long id) => _conn.CancelTimer(id);

    public void RaiseEvent(string pluginId, string message) => _conn.RaisePluginEvent(pluginId, message);

    public bool SendDatagram(ReadOnlySpan<byte> data) => _conn.SendDatagram(data);

    public void Close(ulong applicationErrorCode, string reason) => _conn.Close(NowUs, applicationErrorCode, reason);

    public IReadOnlyList<(ulong Id, byte[] Value)> PeerTransportParameters => _conn.PeerExtraTransportParameters;

    public bool PeerParametersKnown => _conn.IsConnected || _conn.State > ConnectionState.Connected;
}
