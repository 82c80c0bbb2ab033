namespace Pliant.Http3;

/// <summary>
/// An HTTP/3 or QPACK protocol error. <see cref="IsStreamError"/> tells whether it only affects one
/// request stream (RFC 9114 §8: stream error) or the whole connection (connection error).
/// </summary>
public sealed class Http3Exception : Exception
{
    public Http3Exception(Http3ErrorCode errorCode, string message, bool isStreamError = false)
        : base($"{errorCode}: {message}")
    {
        ErrorCode = errorCode;
        IsStreamError = isStreamError;
    }

    public Http3Exception() : this(Http3ErrorCode.InternalError, "unspecified") { }

    public Http3Exception(string message) : this(Http3ErrorCode.InternalError, message) { }

    public Http3Exception(string message, Exception innerException) : base(message, innerException)
    {
        ErrorCode = Http3ErrorCode.InternalError;
    }

    /// <summary>The error code to send to the peer.</summary>
    public Http3ErrorCode ErrorCode { get; }

    /// <summary>True when the error is scoped to one stream (e.g. H3_MESSAGE_ERROR for a malformed message).</summary>
    public bool IsStreamError { get; }
}
