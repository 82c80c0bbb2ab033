namespace Pliant.Http3.Qpack;

/// <summary>
/// Parses the peer's decoder stream (RFC 9204 §4.4). Our encoder never uses the dynamic table, so Section
/// Acknowledgment and Stream Cancellation are accepted and ignored, and any Insert Count Increment
/// (zero, or beyond the 0 inserts we sent) is QPACK_DECODER_STREAM_ERROR.
/// </summary>
public sealed class QpackDecoderStreamParser
{
    private const Http3ErrorCode Error = Http3ErrorCode.QpackDecoderStreamError;
    private byte[] _pending = [];

    /// <summary>Feeds bytes read from the decoder stream.</summary>
    public void Process(ReadOnlySpan<byte> data)
    {
        byte[] buf = _pending.Length == 0 ? data.ToArray() : [.. _pending, .. data];
        int pos = 0;
        while (pos < buf.Length)
        {
            byte b = buf[pos];
            int prefix = (b & 0x80) != 0 ? 7 : 6;
            if (!QpackInteger.TryDecode(buf.AsSpan(pos), prefix, out ulong value, out int n, Error)) break;
            pos += n;
            if ((b & 0xC0) == 0x00)
            {
                // '00' Insert Count Increment (§4.4.3): 0 is invalid, and any increment exceeds our 0 inserts.
                throw new Http3Exception(Error, value == 0 ? "Insert Count Increment of 0" : "Insert Count Increment beyond inserts sent");
            }
            // '1' Section Acknowledgment (§4.4.1) / '01' Stream Cancellation (§4.4.2): nothing to track.
        }
        _pending = buf[pos..];
    }
}
