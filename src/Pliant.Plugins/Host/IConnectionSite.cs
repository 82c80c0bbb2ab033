namespace Pliant.Plugins.Host;

/// <summary>An operation hook as the host sees it: arguments in, result out.</summary>
internal delegate void SiteOperationHandler(ref Abi.CallArgs args);

/// <summary>
/// The connection surface the host needs (docs/contracts.md "Operations"), kept narrow so the
/// binding logic is independent of how the core exposes it.
/// </summary>
internal interface IConnectionSite
{
    long NowUs { get; }
    ulong GetField(int field);
    bool TrySetField(int field, ulong value);
    IDisposable AttachOperation(string operation, string anchor, SiteOperationHandler handler, string owner);
    void DetachOwner(string owner);
    void RegisterFrame(PluginFrame frame);
    void UnregisterFrame(ulong frameType);
    long ScheduleTimer(long atUs, Action<long> callback);
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
