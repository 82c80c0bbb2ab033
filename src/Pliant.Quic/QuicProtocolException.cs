namespace Pliant.Quic;

/// <summary>
/// Raised by the sans-IO core when the peer violated the protocol. The connection catches it and
/// closes with <see cref="ErrorCode"/> in a CONNECTION_CLOSE frame (RFC 9000 §10.2); it never
/// escapes to the process.
/// </summary>
public sealed class QuicProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">The transport error code to send (RFC 9000 §20.1).</param>
    /// <param name="message">A reason phrase; it is sent to the peer, so keep it short.</param>
    /// <param name="frameType">The frame type that triggered the error, if any (RFC 9000 §19.19).</param>
    public QuicProtocolException(TransportErrorCode errorCode, string message, ulong frameType = 0)
        : base(message)
    {
        ErrorCode = errorCode;
        FrameType = frameType;
    }

    /// <summary>Creates the exception for an error met while processing peer input, keeping its cause (for diagnostics and fuzzing).</summary>
    /// <param name="errorCode">The transport error code to send (RFC 9000 §20.1).</param>
    /// <param name="message">A reason phrase; it is sent to the peer, so keep it short.</param>
    /// <param name="innerException">What went wrong underneath.</param>
    public QuicProtocolException(TransportErrorCode errorCode, string message, Exception? innerException)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The transport error code.</summary>
    public TransportErrorCode ErrorCode { get; }

    /// <summary>The frame type that caused the error, or 0.</summary>
    public ulong FrameType { get; }

    /// <summary>A CRYPTO_ERROR for a TLS alert (RFC 9001 §4.8).</summary>
    public static QuicProtocolException Crypto(byte alert, string message) =>
        new((TransportErrorCode)(0x100u + alert), message);
}
