using Pliant.Quic.Operations;

namespace Pliant.Quic.Connection;

// The connection as the plugin host sees it (IConnectionEnvironment): the members the interface names
// are the connection's own (Operations, GetField, TrySetField, frame extensions, timers, events,
// datagrams); only these four are the interface's.
public sealed partial class QuicConnectionCore : IConnectionEnvironment
{
    long IConnectionEnvironment.NowUs => _lastNowUs;

    void IConnectionEnvironment.NoteActivity() => NoteActivity();

    void IConnectionEnvironment.CloseWithApplicationError(ulong errorCode, string reason) => Close(_lastNowUs, errorCode, reason);

    bool IConnectionEnvironment.PeerParametersKnown => IsConnected || State > ConnectionState.Connected;
}
