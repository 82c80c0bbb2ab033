using Pliant.Quic.Tls;

namespace Pliant.Quic.Connection;

/// <summary>Kinds of <see cref="ConnectionEvent"/>.</summary>
public enum ConnectionEventKind
{
    /// <summary>The handshake completed (client: got server Finished; server: got client Finished).</summary>
    Connected,
    /// <summary>The peer opened stream <see cref="ConnectionEvent.StreamId"/>.</summary>
    StreamOpened,
    /// <summary>Stream data (or its end) can be read.</summary>
    StreamReadable,
    /// <summary>The stream can take more data to send (buffer or flow-control credit freed).</summary>
    StreamWritable,
    /// <summary>The peer reset the stream (RESET_STREAM); <see cref="ConnectionEvent.ErrorCode"/> holds its code.</summary>
    StreamReset,
    /// <summary>The peer asked us to stop sending (STOP_SENDING).</summary>
    StreamStopSending,
    /// <summary>Everything sent on the stream was acknowledged, FIN included.</summary>
    StreamSendComplete,
    /// <summary>More streams of a kind may be opened (MAX_STREAMS raised the limit).</summary>
    StreamsAvailable,
    /// <summary>A DATAGRAM frame arrived (RFC 9221); <see cref="ConnectionEvent.Data"/> holds it.</summary>
    DatagramReceived,
    /// <summary>A session ticket arrived (client); keep <see cref="ConnectionEvent.Ticket"/> to resume.</summary>
    SessionTicket,
    /// <summary>0-RTT data was rejected by the server and must be resent as 1-RTT (done by the stack).</summary>
    EarlyDataRejected,
    /// <summary>The connection is closed; see ErrorCode, Reason, IsApplicationError, IsLocal.</summary>
    Closed,
    /// <summary>The peer's transport parameters arrived (extensions may read <c>PeerExtraTransportParameters</c>).</summary>
    PeerParametersReceived,
    /// <summary>Something happened to a plugin: <see cref="ConnectionEvent.Reason"/> says what, Data is the UTF-8 plugin id.</summary>
    Plugin,
    /// <summary>Multipath: path <see cref="ConnectionEvent.PathId"/> was opened (by us, or by the peer's first packet on it).</summary>
    PathOpened,
    /// <summary>Multipath: path <see cref="ConnectionEvent.PathId"/> was validated and may carry data.</summary>
    PathValidated,
    /// <summary>Multipath: path <see cref="ConnectionEvent.PathId"/> was abandoned; <see cref="ConnectionEvent.ErrorCode"/> says why.</summary>
    PathAbandoned,
}

/// <summary>Something the application may want to know about; polled with <c>TryPollEvent</c>.</summary>
public readonly record struct ConnectionEvent(
    ConnectionEventKind Kind,
    ulong StreamId = 0,
    ulong ErrorCode = 0,
    string? Reason = null,
    bool IsApplicationError = false,
    bool IsLocal = false,
    byte[]? Data = null,
    TlsSessionTicket? Ticket = null,
    ulong PathId = 0);
