namespace Pliant.Quic.Wire;

/// <summary>Builds FRAME_ENCODING_ERROR exceptions (RFC 9000 §12.4) and frame readers.</summary>
public static class FrameErrors
{
    /// <summary>A FRAME_ENCODING_ERROR for <paramref name="frameType"/>.</summary>
    public static QuicProtocolException Encoding(ulong frameType, string message) =>
        new(TransportErrorCode.FrameEncodingError, message, frameType);

    /// <summary>A reader over a packet payload that fails with FRAME_ENCODING_ERROR.</summary>
    public static WireReader CreateReader(ReadOnlySpan<byte> payload) =>
        new(payload, TransportErrorCode.FrameEncodingError, "frame");
}
