namespace Pliant.Http3.Qpack;

/// <summary>
/// Reads QPACK primitives from instruction streams whose instructions may be split across reads: each
/// Try* returns false when the bytes end first (the caller keeps the instruction's start and waits for more);
/// malformed or over-limit input throws <see cref="Http3Exception"/> with <see cref="Error"/>.
/// </summary>
internal ref struct QpackReader(ReadOnlySpan<byte> data, Http3ErrorCode error)
{
    private readonly ReadOnlySpan<byte> _data = data;

    public int Position;

    public readonly Http3ErrorCode Error = error;

    public readonly bool AtEnd => Position >= _data.Length;

    public readonly byte Peek => _data[Position];

    public bool TryInt(int prefixBits, out ulong value)
    {
        if (!QpackInteger.TryDecode(_data[Position..], prefixBits, out value, out int n, Error)) return false;
        Position += n;
        return true;
    }

    /// <summary>
    /// An N-bit prefix string literal (RFC 9204 §4.1.2). An encoded length over <paramref name="maxLength"/> throws
    /// as soon as the length is read (before its bytes arrive), so a reader never buffers more than that.
    /// </summary>
    public bool TryString(int prefixBits, long maxLength, out string value)
    {
        value = "";
        if (AtEnd) return false;
        bool huffman = (_data[Position] & (1 << (prefixBits - 1))) != 0;
        int start = Position;
        if (!TryInt(prefixBits - 1, out ulong len)) return false;
        if (len > (ulong)Math.Max(0, maxLength)) throw new Http3Exception(Error, $"string literal of {len} bytes exceeds the limit {maxLength}");
        if (len > (ulong)(_data.Length - Position))
        {
            Position = start;
            return false;
        }
        var body = _data.Slice(Position, (int)len);
        Position += (int)len;
        value = huffman ? System.Text.Encoding.Latin1.GetString(Huffman.Decode(body, Error)) : System.Text.Encoding.Latin1.GetString(body);
        return true;
    }
}
