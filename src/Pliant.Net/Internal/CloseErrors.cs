using Pliant.Quic;
using Pliant.Quic.Connection;

namespace Pliant.Net.Internal;

/// <summary>Maps the core's Closed event to the exception pending operations fail with.</summary>
internal static class CloseErrors
{
    public static QuicException FromClosedEvent(in ConnectionEvent e)
    {
        string reason = string.IsNullOrEmpty(e.Reason) ? "" : $" ({e.Reason})";
        if (e.IsApplicationError)
        {
            return e.IsLocal
                ? QuicException.Aborted("The connection was closed by the application." + reason)
                : new QuicException(QuicError.ConnectionAborted, (long)e.ErrorCode,
                    $"The peer closed the connection with application error {e.ErrorCode}{reason}.");
        }

        var code = (TransportErrorCode)e.ErrorCode;
        string text = e.Reason ?? "";
        if (code == TransportErrorCode.ConnectionRefused)
            return new QuicException(QuicError.ConnectionRefused, null, "The server refused the connection" + reason + ".") { TransportErrorCode = code };
        if (text.Contains("version negotiation", StringComparison.OrdinalIgnoreCase))
            return new QuicException(QuicError.VersionNegotiationError, null, "No QUIC version in common with the peer" + reason + ".");
        if (e.IsLocal && text.Contains("handshake", StringComparison.OrdinalIgnoreCase) && text.Contains("time", StringComparison.OrdinalIgnoreCase))
            return new QuicException(QuicError.ConnectionTimeout, null, "The handshake timed out" + reason + ".");
        if (e.IsLocal && code == TransportErrorCode.NoError && text.Contains("idle", StringComparison.OrdinalIgnoreCase))
            return new QuicException(QuicError.ConnectionIdle, null, "The connection timed out after being idle" + reason + ".");
        if (e.IsLocal && code == TransportErrorCode.InternalError)
            return new QuicException(QuicError.InternalError, null, "The connection failed inside the stack or an application callback" + reason + "; it was closed (the endpoint goes on).") { TransportErrorCode = code };
        if (code == TransportErrorCode.NoError)
            return new QuicException(QuicError.ConnectionAborted, 0, "The connection was closed" + reason + ".") { TransportErrorCode = code };
        return new QuicException(QuicError.TransportError, null,
            $"The connection was closed with transport error 0x{e.ErrorCode:x}{reason} ({(e.IsLocal ? "local" : "peer")}).")
        { TransportErrorCode = code };
    }
}
