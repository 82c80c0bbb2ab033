using System.Net;
using Microsoft.Extensions.Logging;

namespace Pliant.Net.Internal;

/// <summary>Log messages of the driver (source-generated, no allocation when disabled).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "QUIC endpoint on {LocalEndPoint} (GSO {Gso})")]
    public static partial void EndpointStarted(ILogger logger, IPEndPoint localEndPoint, bool gso);

    [LoggerMessage(2, LogLevel.Debug, "QUIC endpoint on {LocalEndPoint} stopped: {Counters}")]
    public static partial void EndpointStopped(ILogger logger, IPEndPoint localEndPoint, string counters);

    [LoggerMessage(3, LogLevel.Warning, "Datagram from {From} dropped: the core threw")]
    public static partial void DatagramFailed(ILogger logger, IPEndPoint from, Exception exception);

    [LoggerMessage(4, LogLevel.Error, "QUIC endpoint on {LocalEndPoint} failed; its connections are aborted")]
    public static partial void EndpointFaulted(ILogger logger, IPEndPoint localEndPoint, Exception exception);

    [LoggerMessage(5, LogLevel.Debug, "Connection from {Remote} accepted by the endpoint")]
    public static partial void ConnectionAccepted(ILogger logger, IPEndPoint remote);

    [LoggerMessage(6, LogLevel.Debug, "Connection with {Remote} closed: {Error}")]
    public static partial void ConnectionClosed(ILogger logger, IPEndPoint remote, string error);

    [LoggerMessage(7, LogLevel.Debug, "0-RTT data to {Remote} was rejected and will be resent")]
    public static partial void EarlyDataRejected(ILogger logger, IPEndPoint remote);

    [LoggerMessage(8, LogLevel.Warning, "Accept queue full: connection from {Remote} refused")]
    public static partial void BacklogFull(ILogger logger, IPEndPoint remote);

    [LoggerMessage(9, LogLevel.Error, "Connection with {Remote} failed inside the stack or the application's callback; it is closed, the endpoint goes on")]
    public static partial void ConnectionFaulted(ILogger logger, IPEndPoint remote, Exception exception);

    [LoggerMessage(11, LogLevel.Error, "A continuation run on the endpoint's thread threw; the endpoint goes on")]
    public static partial void CompletionFailed(ILogger logger, Exception exception);

    [LoggerMessage(10, LogLevel.Warning, "Sending {Bytes} bytes to {To} failed")]
    public static partial void SendFailed(ILogger logger, IPEndPoint to, int bytes, Exception exception);
}
