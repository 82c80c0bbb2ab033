namespace Pliant.Http3.Qpack;

/// <summary>
/// Parses the peer's encoder stream (RFC 9204 §4.3) when our dynamic table capacity is 0: Set Dynamic Table
/// Capacity 0 is accepted, everything that would insert is QPACK_ENCODER_STREAM_ERROR.
/// Instructions may be split across reads; <see cref="Process"/> keeps the unconsumed tail.
/// </summary>
public sealed class QpackEncoderStreamParser
{
    private const Http3ErrorCode Error = Http3ErrorCode.QpackEncoderStreamError;
    private readonly ulong _maxCapacity;
    private byte[] _pending = [];

    /// <param name="maxTableCapacity">Our SETTINGS_QPACK_MAX_TABLE_CAPACITY (0).</param>
    public QpackEncoderStreamParser(ulong maxTableCapacity = 0) => _maxCapacity = maxTableCapacity;

    /// <summary>Current capacity the peer set.</summary>
    public ulong Capacity { get; private set; }

    /// <summary>Feeds bytes read from the encoder stream.</summary>
    public void Process(ReadOnlySpan<byte> data)
    {
        byte[] buf = _pending.Length == 0 ? data.ToArray() : [.. _pending, .. data];
        int pos = 0;
        while (pos < buf.Length)
        {
            byte b = buf[pos];
            if ((b & 0xE0) == 0x20)
            {
                // '001' Set Dynamic Table Capacity, 5-bit prefix (§4.3.1).
                if (!QpackInteger.TryDecode(buf.AsSpan(pos), 5, out ulong cap, out int n, Error)) break;
                if (cap > _maxCapacity) throw new Http3Exception(Error, $"dynamic table capacity {cap} exceeds our limit {_maxCapacity}");
                Capacity = cap;
                pos += n;
            }
            else
            {
                // '1T' Insert with Name Reference, '01' Insert with Literal Name, '000' Duplicate (§4.3.2–4.3.4):
                // with capacity 0 no entry fits (each is at least 32 bytes) and there is nothing to duplicate.
                throw new Http3Exception(Error, "insert into a dynamic table of capacity 0");
            }
        }
        _pending = buf[pos..];
    }
}
