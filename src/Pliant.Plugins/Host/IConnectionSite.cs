namespace Pliant.Plugins.Host;


/// <summary>
/// The connection surface the host needs (docs/contracts.md "Operations"), kept narrow so the
/// binding logic is independent of how the core exposes it.
/// </summary>
internal interface IConnectionSite
{
    long NowUs { get; }
    ulong GetField(int field);
    bool TrySetField(int field, ulong value);
    /// <summary>Attaches <paramref name="handler"/> (arguments in, result out) to an operation of the connection's table.</summary>
    IDisposable AttachOperation(string operation, string anchor, Pliant.Quic.Operations.OperationHandler handler, string owner);
    void DetachOwner(string owner);

    /// <summary>The plugin changed what the connection may send (a frame reserved, state set from an application call).</summary>
    void NoteActivity() { }
    void RegisterFrame(PluginFrame frame);
    void UnregisterFrame(ulong frameType);
    /// <summary>Calls <paramref name="callback"/> (time, timer id) once <paramref name="atUs"/> is reached; returns the id.</summary>
    long ScheduleTimer(long atUs, Action<long, long> callback);
    void CancelTimer(long id);
    void RaiseEvent(string pluginId, string message);
    bool SendDatagram(ReadOnlySpan<byte> data);

    /// <summary>Closes the connection with an application error.</summary>
    void Close(ulong applicationErrorCode, string reason);

    /// <summary>True once the peer's transport parameters are known (handshake complete).</summary>
    bool PeerParametersKnown { get; }

    /// <summary>Transport parameters the peer sent that the core does not know.</summary>
    IReadOnlyList<(ulong Id, byte[] Value)> PeerTransportParameters { get; }
}
