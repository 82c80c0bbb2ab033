using Pliant.Quic;

namespace Pliant.Net;

/// <summary>A QUIC connection or stream failed. Shaped like System.Net.Quic's exception of the same name.</summary>
public sealed class QuicException : IOException
{
    /// <summary>Creates an exception.</summary>
    public QuicException(QuicError error, long? applicationErrorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        QuicError = error;
        ApplicationErrorCode = applicationErrorCode;
    }

    /// <summary>What went wrong.</summary>
    public QuicError QuicError { get; }

    /// <summary>The application error code from the peer (CONNECTION_CLOSE 0x1d, RESET_STREAM, STOP_SENDING), if any.</summary>
    public long? ApplicationErrorCode { get; }

    /// <summary>The transport error code (RFC 9000 §20.1) when <see cref="QuicError"/> is a transport failure.</summary>
    public TransportErrorCode? TransportErrorCode { get; init; }

    internal static QuicException Aborted(string what) => new(QuicError.OperationAborted, null, what);
}
