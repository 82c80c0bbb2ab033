using System.Net;
using Microsoft.Extensions.Logging;

namespace Pliant.AspNetCore.Internal;

/// <summary>The transport's log events (category <c>Pliant.AspNetCore</c>).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Pliant QUIC listening on {EndPoint} (ALPN {Protocols}, certificate {Subject})")]
    public static partial void Listening(ILogger logger, IPEndPoint endPoint, string protocols, string subject);

    [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId} accepted from {RemoteEndPoint}")]
    public static partial void ConnectionAccepted(ILogger logger, string connectionId, IPEndPoint remoteEndPoint);

    [LoggerMessage(3, LogLevel.Debug, "Connection {ConnectionId} closed by the peer with application error {ErrorCode}")]
    public static partial void ConnectionClosedByPeer(ILogger logger, string connectionId, long errorCode);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId} aborted with error {ErrorCode}: {Reason}")]
    public static partial void ConnectionAborted(ILogger logger, string connectionId, long errorCode, string reason);

    [LoggerMessage(5, LogLevel.Debug, "Connection {ConnectionId} failed: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(6, LogLevel.Debug, "Stream {StreamId} aborted with error {ErrorCode}: {Reason}")]
    public static partial void StreamAborted(ILogger logger, string streamId, long errorCode, string reason);

    [LoggerMessage(7, LogLevel.Error, "Unexpected error on stream {StreamId}")]
    public static partial void UnexpectedStreamError(ILogger logger, string streamId, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "Request answered 425 Too Early: {Method} {Path} arrived as TLS early data")]
    public static partial void TooEarly(ILogger logger, string method, string path);

    [LoggerMessage(9, LogLevel.Warning, "The QUIC listener on {EndPoint} stopped: {Reason}")]
    public static partial void ListenerStopped(ILogger logger, IPEndPoint endPoint, string reason);
}
