using Pliant.Quic.Wire;

namespace Pliant.Http3.Frames;

/// <summary>Payload parsers for the frames whose payload is a single varint (CANCEL_PUSH, GOAWAY, MAX_PUSH_ID).</summary>
public static class Http3FramePayload
{
    /// <summary>
    /// Reads a payload that is exactly one varint; short or trailing bytes are H3_FRAME_ERROR (RFC 9114 §7.1).
    /// </summary>
    public static ulong ReadSingleVarInt(ReadOnlySpan<byte> payload, string frameName)
    {
        if (!VarInt.TryRead(payload, out ulong v, out int n) || n != payload.Length)
            throw new Http3Exception(Http3ErrorCode.FrameError, $"malformed {frameName} frame");
        return v;
    }
}
