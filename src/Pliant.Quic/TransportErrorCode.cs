namespace Pliant.Quic;

/// <summary>Transport error codes (RFC 9000 §20.1). CRYPTO_ERROR is 0x0100 plus the TLS alert.</summary>
public enum TransportErrorCode : ulong
{
    NoError = 0x00,
    InternalError = 0x01,
    ConnectionRefused = 0x02,
    FlowControlError = 0x03,
    StreamLimitError = 0x04,
    StreamStateError = 0x05,
    FinalSizeError = 0x06,
    FrameEncodingError = 0x07,
    TransportParameterError = 0x08,
    ConnectionIdLimitError = 0x09,
    ProtocolViolation = 0x0a,
    InvalidToken = 0x0b,
    ApplicationError = 0x0c,
    CryptoBufferExceeded = 0x0d,
    KeyUpdateError = 0x0e,
    AeadLimitReached = 0x0f,
    NoViablePath = 0x10,
    /// <summary>VERSION_NEGOTIATION_ERROR (RFC 9368 §10.2.2).</summary>
    VersionNegotiationError = 0x11,
    /// <summary>First of the CRYPTO_ERROR range 0x0100–0x01ff (RFC 9001 §4.8).</summary>
    CryptoErrorBase = 0x0100,

    // draft-ietf-quic-multipath-21 §4.2.1 and §6: registered as transport error codes, defined for
    // the Error Code field of PATH_ABANDON (a path closes, the connection does not).

    /// <summary>APPLICATION_ABANDON_PATH: the path is abandoned at the application's request (draft-ietf-quic-multipath-21 §4.2.1).</summary>
    ApplicationAbandonPath = 0x3e,
    /// <summary>PATH_RESOURCE_LIMIT_REACHED: no resources to maintain the path (draft-ietf-quic-multipath-21 §4.2.1).</summary>
    PathResourceLimitReached = 0x3e75,
    /// <summary>PATH_UNSTABLE_OR_POOR: the interface is unstable or performs poorly (draft-ietf-quic-multipath-21 §4.2.1).</summary>
    PathUnstableOrPoor = 0x3e76,
    /// <summary>NO_CID_AVAILABLE_FOR_PATH: no connection ID for the path (draft-ietf-quic-multipath-21 §4.2.1).</summary>
    NoCidAvailableForPath = 0x3e77,
}
