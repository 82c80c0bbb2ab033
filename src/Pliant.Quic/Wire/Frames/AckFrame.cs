namespace Pliant.Quic.Wire;

/// <summary>
/// ACK / ACK_ECN (RFC 9000 §19.3). Ranges are validated on <see cref="Read"/> and kept as the raw
/// encoded bytes; <see cref="GetRanges"/> walks them without allocating.
/// </summary>
public readonly ref struct AckFrame : IWireFrame
{
    private readonly ReadOnlySpan<byte> _rawRanges;

    private AckFrame(ulong largest, ulong ackDelay, ulong firstRange, int rangeCount, ReadOnlySpan<byte> rawRanges, EcnCounts? ecn, ulong smallest)
    {
        Largest = largest;
        AckDelay = ackDelay;
        FirstRange = firstRange;
        RangeCount = rangeCount;
        _rawRanges = rawRanges;
        Ecn = ecn;
        Smallest = smallest;
    }

    /// <summary>Largest Acknowledged.</summary>
    public ulong Largest { get; }

    /// <summary>ACK Delay as encoded (multiply by 2^ack_delay_exponent for µs, RFC 9000 §19.3).</summary>
    public ulong AckDelay { get; }

    /// <summary>First ACK Range: packets Largest-FirstRange..Largest are acknowledged.</summary>
    public ulong FirstRange { get; }

    /// <summary>Number of additional (Gap, ACK Range Length) pairs; total ranges = RangeCount + 1.</summary>
    public int RangeCount { get; }

    /// <summary>Smallest packet number acknowledged by this frame.</summary>
    public ulong Smallest { get; }

    /// <summary>ECN counts when the frame type was ACK_ECN (0x03).</summary>
    public EcnCounts? Ecn { get; }

    /// <summary>
    /// The ACK Delay in microseconds: encoded × 2^<paramref name="ackDelayExponent"/> (RFC 9000 §19.3),
    /// saturating at <see cref="long.MaxValue"/> for absurd values.
    /// </summary>
    public long GetAckDelayMicroseconds(int ackDelayExponent)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ackDelayExponent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ackDelayExponent, 20);
        return AckDelay > (ulong)(long.MaxValue >> ackDelayExponent) ? long.MaxValue : (long)(AckDelay << ackDelayExponent);
    }

    /// <summary>Encodes an ACK delay in microseconds for the ACK Delay field (RFC 9000 §19.3).</summary>
    public static ulong EncodeAckDelay(long delayUs, int ackDelayExponent)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ackDelayExponent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ackDelayExponent, 20);
        return delayUs <= 0 ? 0 : Math.Min((ulong)delayUs >> ackDelayExponent, VarInt.Max);
    }

    /// <summary>The ranges, largest first.</summary>
    public AckRangeEnumerator GetRanges() => new(Largest, FirstRange, _rawRanges);

    /// <summary>Copies up to <c>dest.Length</c> ranges (largest first); returns how many were copied.</summary>
    public int CopyRanges(Span<AckRange> dest)
    {
        int n = 0;
        foreach (AckRange range in GetRanges())
        {
            if (n == dest.Length) break;
            dest[n++] = range;
        }
        return n;
    }

    /// <summary>Reads an ACK frame (type 0x02 or 0x03 already consumed) and validates its ranges.</summary>
    public static AckFrame Read(ref WireReader r, ulong frameType) =>
        ReadBody(ref r, frameType, frameType == (ulong)FrameType.AckEcn);

    /// <summary>
    /// Reads the fields from Largest Acknowledged on (shared by ACK and PATH_ACK, whose body is ACK's
    /// after the Path Identifier); errors carry <paramref name="frameType"/>.
    /// </summary>
    internal static AckFrame ReadBody(ref WireReader r, ulong frameType, bool hasEcn)
    {
        ulong largest = r.ReadVarInt();
        ulong delay = r.ReadVarInt();
        ulong count = r.ReadVarInt();
        ulong first = r.ReadVarInt();
        // RFC 9000 §19.3.1: smallest = largest - ack_range; a negative result is FRAME_ENCODING_ERROR.
        if (first > largest) throw FrameErrors.Encoding(frameType, "ACK first range below zero");
        ulong smallest = largest - first;
        // Each pair takes at least 2 bytes: reject impossible counts before looping.
        if (count > (ulong)r.Remaining / 2) throw FrameErrors.Encoding(frameType, "ACK range count too large");
        ReadOnlySpan<byte> before = r.Rest;
        for (ulong i = 0; i < count; i++)
        {
            ulong gap = r.ReadVarInt();
            ulong len = r.ReadVarInt();
            // RFC 9000 §19.3.1: largest = previous_smallest - gap - 2; smallest = largest - ack_range.
            if (smallest < gap + 2) throw FrameErrors.Encoding(frameType, "ACK gap below zero");
            ulong l = smallest - gap - 2;
            if (len > l) throw FrameErrors.Encoding(frameType, "ACK range below zero");
            smallest = l - len;
        }
        ReadOnlySpan<byte> raw = before[..(before.Length - r.Remaining)];
        EcnCounts? ecn = null;
        if (hasEcn)
            ecn = new EcnCounts(r.ReadVarInt(), r.ReadVarInt(), r.ReadVarInt());
        return new AckFrame(largest, delay, first, (int)count, raw, ecn, smallest);
    }

    /// <summary>Bytes <see cref="Write(Span{byte})"/> produces.</summary>
    public int EncodedLength => 1 + BodyLength;

    /// <summary>Bytes of the fields from Largest Acknowledged on (what <see cref="WriteBody(Span{byte})"/> writes).</summary>
    internal int BodyLength =>
        VarInt.Length(Largest) + VarInt.Length(AckDelay) + VarInt.Length((ulong)RangeCount) + VarInt.Length(FirstRange)
        + _rawRanges.Length + EcnLength(Ecn);

    /// <summary>Re-encodes this frame.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)(Ecn.HasValue ? FrameType.AckEcn : FrameType.Ack);
        return 1 + WriteBody(dest[1..]);
    }

    /// <summary>Re-encodes the fields from Largest Acknowledged on; returns bytes written.</summary>
    internal int WriteBody(Span<byte> dest)
    {
        int pos = VarInt.Write(dest, Largest);
        pos += VarInt.Write(dest[pos..], AckDelay);
        pos += VarInt.Write(dest[pos..], (ulong)RangeCount);
        pos += VarInt.Write(dest[pos..], FirstRange);
        _rawRanges.CopyTo(dest[pos..]);
        pos += _rawRanges.Length;
        return pos + WriteEcn(dest[pos..], Ecn);
    }

    /// <summary>Bytes <see cref="Write(Span{byte}, ReadOnlySpan{AckRange}, ulong, EcnCounts?)"/> produces.</summary>
    public static int GetEncodedLength(ReadOnlySpan<AckRange> rangesDescending, ulong ackDelayEncoded, EcnCounts? ecn) =>
        1 + GetBodyLength(rangesDescending, ackDelayEncoded, ecn);

    /// <summary>Bytes <see cref="WriteBody(Span{byte}, ReadOnlySpan{AckRange}, ulong, EcnCounts?)"/> produces.</summary>
    internal static int GetBodyLength(ReadOnlySpan<AckRange> rangesDescending, ulong ackDelayEncoded, EcnCounts? ecn)
    {
        Validate(rangesDescending);
        AckRange top = rangesDescending[0];
        int n = VarInt.Length(top.Largest) + VarInt.Length(ackDelayEncoded) + VarInt.Length((ulong)(rangesDescending.Length - 1))
            + VarInt.Length(top.Largest - top.Smallest);
        for (int i = 1; i < rangesDescending.Length; i++)
        {
            AckRange prev = rangesDescending[i - 1], cur = rangesDescending[i];
            n += VarInt.Length(prev.Smallest - cur.Largest - 2) + VarInt.Length(cur.Largest - cur.Smallest);
        }
        return n + EcnLength(ecn);
    }

    /// <summary>
    /// Writes an ACK (or ACK_ECN when <paramref name="ecn"/> is set) for ranges sorted largest first,
    /// disjoint and non-adjacent. Returns bytes written.
    /// </summary>
    public static int Write(Span<byte> dest, ReadOnlySpan<AckRange> rangesDescending, ulong ackDelayEncoded, EcnCounts? ecn)
    {
        dest[0] = (byte)(ecn.HasValue ? FrameType.AckEcn : FrameType.Ack);
        return 1 + WriteBody(dest[1..], rangesDescending, ackDelayEncoded, ecn);
    }

    /// <summary>
    /// Writes the fields from Largest Acknowledged on (shared by ACK and PATH_ACK) after validating
    /// the ranges; returns bytes written.
    /// </summary>
    internal static int WriteBody(Span<byte> dest, ReadOnlySpan<AckRange> rangesDescending, ulong ackDelayEncoded, EcnCounts? ecn)
    {
        Validate(rangesDescending);
        AckRange top = rangesDescending[0];
        int pos = VarInt.Write(dest, top.Largest);
        pos += VarInt.Write(dest[pos..], ackDelayEncoded);
        pos += VarInt.Write(dest[pos..], (ulong)(rangesDescending.Length - 1));
        pos += VarInt.Write(dest[pos..], top.Largest - top.Smallest);
        for (int i = 1; i < rangesDescending.Length; i++)
        {
            AckRange prev = rangesDescending[i - 1], cur = rangesDescending[i];
            // RFC 9000 §19.3.1: Gap = previous smallest - this largest - 2.
            pos += VarInt.Write(dest[pos..], prev.Smallest - cur.Largest - 2);
            pos += VarInt.Write(dest[pos..], cur.Largest - cur.Smallest);
        }
        return pos + WriteEcn(dest[pos..], ecn);
    }

    private static void Validate(ReadOnlySpan<AckRange> ranges)
    {
        if (ranges.IsEmpty) throw new ArgumentException("an ACK frame needs at least one range", nameof(ranges));
        for (int i = 0; i < ranges.Length; i++)
        {
            AckRange cur = ranges[i];
            if (cur.Smallest > cur.Largest || cur.Largest > VarInt.Max) throw new ArgumentException("invalid ACK range", nameof(ranges));
            if (i > 0 && cur.Largest + 2 > ranges[i - 1].Smallest)
                throw new ArgumentException("ACK ranges must be descending, disjoint and non-adjacent", nameof(ranges));
        }
    }

    private static int EcnLength(EcnCounts? ecn) =>
        ecn is EcnCounts e ? VarInt.Length(e.Ect0) + VarInt.Length(e.Ect1) + VarInt.Length(e.Ce) : 0;

    private static int WriteEcn(Span<byte> dest, EcnCounts? ecn)
    {
        if (ecn is not EcnCounts e) return 0;
        int pos = VarInt.Write(dest, e.Ect0);
        pos += VarInt.Write(dest[pos..], e.Ect1);
        return pos + VarInt.Write(dest[pos..], e.Ce);
    }
}

/// <summary>Walks the ranges of a validated <see cref="AckFrame"/>, largest first, without allocating.</summary>
public ref struct AckRangeEnumerator
{
    private ReadOnlySpan<byte> _raw;
    private AckRange _current;
    private bool _started;

    internal AckRangeEnumerator(ulong largest, ulong firstRange, ReadOnlySpan<byte> raw)
    {
        _raw = raw;
        _current = new AckRange(largest - firstRange, largest);
        _started = false;
    }

    /// <summary>The current range.</summary>
    public readonly AckRange Current => _current;

    /// <summary>For <c>foreach</c>.</summary>
    public readonly AckRangeEnumerator GetEnumerator() => this;

    /// <summary>Advances to the next (smaller) range.</summary>
    public bool MoveNext()
    {
        if (!_started) { _started = true; return true; }
        if (_raw.IsEmpty) return false;
        // Already validated by AckFrame.Read / produced by Write.
        VarInt.TryRead(_raw, out ulong gap, out int n1);
        VarInt.TryRead(_raw[n1..], out ulong len, out int n2);
        _raw = _raw[(n1 + n2)..];
        ulong largest = _current.Smallest - gap - 2;
        _current = new AckRange(largest - len, largest);
        return true;
    }
}
