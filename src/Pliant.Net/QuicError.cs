namespace Pliant.Net;

/// <summary>Why a QUIC operation failed; the <see cref="QuicException.QuicError"/> of an exception.</summary>
public enum QuicError
{
    /// <summary>A bug or an unexpected failure inside the stack.</summary>
    InternalError,
    /// <summary>The peer (or this side) closed the connection with an application error code.</summary>
    ConnectionAborted,
    /// <summary>The peer reset the stream (RESET_STREAM) or asked us to stop sending (STOP_SENDING).</summary>
    StreamAborted,
    /// <summary>The handshake did not complete in time.</summary>
    ConnectionTimeout,
    /// <summary>The server refused the connection (CONNECTION_REFUSED).</summary>
    ConnectionRefused,
    /// <summary>No QUIC version in common with the peer (RFC 9000 §6).</summary>
    VersionNegotiationError,
    /// <summary>The connection was idle longer than the idle timeout (RFC 9000 §10.1).</summary>
    ConnectionIdle,
    /// <summary>The operation was aborted locally: the connection or stream was closed, aborted or disposed.</summary>
    OperationAborted,
    /// <summary>The connection was closed with a transport error; see <see cref="QuicException.TransportErrorCode"/>.</summary>
    TransportError,
}
