namespace Pliant.Http3.Qpack;

/// <summary>What the peer's decoder tells our encoder (RFC 9204 §4.4).</summary>
public interface IQpackDecoderInstructionHandler
{
    /// <summary>Section Acknowledgment (§4.4.1).</summary>
    void SectionAcknowledged(ulong streamId);

    /// <summary>Stream Cancellation (§4.4.2).</summary>
    void StreamCancelled(ulong streamId);

    /// <summary>Insert Count Increment (§4.4.3), never 0 (the parser refuses it).</summary>
    void InsertCountIncrement(ulong increment);
}

/// <summary>
/// Parses the peer's decoder stream (RFC 9204 §4.4). Instructions may be split across reads (the unfinished
/// one kept is at most 11 bytes: one prefixed integer). With a handler, each instruction is passed on (the
/// handler checks it against the encoder's state). Without one — an encoder that never inserts — Section
/// Acknowledgment and Stream Cancellation are ignored and any Insert Count Increment is
/// QPACK_DECODER_STREAM_ERROR (there is nothing it could acknowledge).
/// </summary>
public sealed class QpackDecoderStreamParser(IQpackDecoderInstructionHandler? handler = null)
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
            if ((b & 0x80) != 0)
            {
                handler?.SectionAcknowledged(value);
            }
            else if ((b & 0x40) != 0)
            {
                handler?.StreamCancelled(value);
            }
            else
            {
                // §4.4.3: an increment of 0 is an error; without a handler nothing was inserted to acknowledge.
                if (value == 0) throw new Http3Exception(Error, "Insert Count Increment of 0");
                if (handler is null) throw new Http3Exception(Error, "Insert Count Increment beyond inserts sent");
                handler.InsertCountIncrement(value);
            }
        }
        _pending = buf[pos..];
    }
}
