namespace Pliant.Http3.Qpack;

/// <summary>
/// Decodes encoded field sections (RFC 9204 §4.5): the prefix (Required Insert Count and Base, §4.5.1), then
/// field lines referring to the static table, to a dynamic table, or literal. Every malformed section or
/// invalid reference is a connection error QPACK_DECOMPRESSION_FAILED (§2.2.3, §3.1); a decoded section larger
/// than the limit is a stream-level H3_MESSAGE_ERROR (RFC 9114 §4.2.2). The connection-level decoder with
/// blocked streams is <see cref="QpackDecoderContext"/>.
/// </summary>
public static class QpackDecoder
{
    private const Http3ErrorCode Failed = Http3ErrorCode.QpackDecompressionFailed;

    /// <summary>The decoded prefix of a field section.</summary>
    /// <param name="RequiredInsertCount">The dynamic table state needed (0: no dynamic references).</param>
    /// <param name="Base">What relative and post-Base indices count from.</param>
    /// <param name="Length">Bytes the prefix took.</param>
    public readonly record struct SectionPrefix(long RequiredInsertCount, long Base, int Length);

    /// <summary>
    /// Decodes a section for a decoder without a dynamic table (SETTINGS_QPACK_MAX_TABLE_CAPACITY 0): any
    /// dynamic reference is QPACK_DECOMPRESSION_FAILED. When the decoded size exceeds
    /// <paramref name="maxFieldSectionSize"/>, throws a stream-level H3_MESSAGE_ERROR.
    /// </summary>
    public static List<Http3Field> Decode(ReadOnlySpan<byte> section, long maxFieldSectionSize = long.MaxValue) =>
        DecodeLines(section, ReadPrefix(section, 0, 0), null, maxFieldSectionSize, out _);

    /// <summary>
    /// Reads the prefix (§4.5.1). <paramref name="maxTableCapacity"/> is our SETTINGS_QPACK_MAX_TABLE_CAPACITY
    /// (it fixes MaxEntries), <paramref name="totalInserts"/> the decoder's insert count now.
    /// </summary>
    public static SectionPrefix ReadPrefix(ReadOnlySpan<byte> section, ulong maxTableCapacity, long totalInserts)
    {
        int pos = 0;
        ulong encoded = QpackInteger.Decode(section, 8, ref pos, Failed);
        long ric = RequiredInsertCount(encoded, maxTableCapacity, totalInserts);
        if (pos >= section.Length) throw new Http3Exception(Failed, "truncated field section prefix");
        bool sign = (section[pos] & 0x80) != 0;
        ulong delta = QpackInteger.Decode(section, 7, ref pos, Failed);
        long @base;
        if (sign)
        {
            // §4.5.1.2: Base = RIC - Delta Base - 1, never negative.
            if ((ulong)ric <= delta) throw new Http3Exception(Failed, "negative Base");
            @base = ric - (long)delta - 1;
        }
        else
        {
            if (delta > (ulong)(long.MaxValue / 2 - ric)) throw new Http3Exception(Failed, "Base out of range");
            @base = ric + (long)delta;
        }
        return new SectionPrefix(ric, @base, pos);
    }

    /// <summary>§4.5.1.1: reconstructs the Required Insert Count from its encoding modulo 2 * MaxEntries.</summary>
    internal static long RequiredInsertCount(ulong encoded, ulong maxTableCapacity, long totalInserts)
    {
        if (encoded == 0) return 0;
        ulong maxEntries = maxTableCapacity / 32;
        if (maxEntries == 0) throw new Http3Exception(Failed, "field section references the dynamic table (Required Insert Count != 0)");
        ulong fullRange = 2 * maxEntries;
        if (encoded > fullRange) throw new Http3Exception(Failed, "encoded Required Insert Count out of range");
        ulong maxValue = (ulong)totalInserts + maxEntries;
        ulong maxWrapped = maxValue / fullRange * fullRange;
        ulong ric = maxWrapped + encoded - 1;
        if (ric > maxValue)
        {
            if (ric <= fullRange) throw new Http3Exception(Failed, "invalid Required Insert Count");
            ric -= fullRange;
        }
        if (ric == 0) throw new Http3Exception(Failed, "invalid Required Insert Count");
        return (long)ric;
    }

    /// <summary>
    /// Decodes the field lines after <paramref name="prefix"/>. Dynamic references resolve in
    /// <paramref name="table"/> (which must hold at least RequiredInsertCount inserts) and must lie below the
    /// Required Insert Count (§2.2.3); <paramref name="dynamicReferences"/> counts them.
    /// </summary>
    public static List<Http3Field> DecodeLines(ReadOnlySpan<byte> section, SectionPrefix prefix, QpackDynamicTable? table, long maxFieldSectionSize,
        out int dynamicReferences)
    {
        dynamicReferences = 0;
        int pos = prefix.Length;
        var fields = new List<Http3Field>();
        long size = 0;
        while (pos < section.Length)
        {
            byte b = section[pos];
            string name, value;
            if ((b & 0x80) != 0)
            {
                // §4.5.2 Indexed Field Line: '1', T, 6-bit index.
                ulong index = QpackInteger.Decode(section, 6, ref pos, Failed);
                if ((b & 0x40) != 0) (name, value) = StaticEntry(index);
                else
                {
                    var e = Dynamic(table, prefix, RelativeToAbsolute(prefix, index));
                    (name, value) = (e.Name, e.Value);
                    dynamicReferences++;
                }
            }
            else if ((b & 0x40) != 0)
            {
                // §4.5.4 Literal with Name Reference: '01', N, T, 4-bit index, then the value.
                ulong index = QpackInteger.Decode(section, 4, ref pos, Failed);
                if ((b & 0x10) != 0) name = StaticEntry(index).Name;
                else
                {
                    name = Dynamic(table, prefix, RelativeToAbsolute(prefix, index)).Name;
                    dynamicReferences++;
                }
                value = QpackString.Decode(section, 8, ref pos, Failed);
            }
            else if ((b & 0x20) != 0)
            {
                // §4.5.6 Literal with Literal Name: '001', N, name as a 4-bit prefix string, then the value.
                name = QpackString.Decode(section, 4, ref pos, Failed);
                value = QpackString.Decode(section, 8, ref pos, Failed);
            }
            else if ((b & 0x10) != 0)
            {
                // §4.5.3 Indexed Field Line with Post-Base Index: '0001', 4-bit index.
                ulong index = QpackInteger.Decode(section, 4, ref pos, Failed);
                var e = Dynamic(table, prefix, PostBaseToAbsolute(prefix, index));
                (name, value) = (e.Name, e.Value);
                dynamicReferences++;
            }
            else
            {
                // §4.5.5 Literal with Post-Base Name Reference: '0000', N, 3-bit index, then the value.
                ulong index = QpackInteger.Decode(section, 3, ref pos, Failed);
                name = Dynamic(table, prefix, PostBaseToAbsolute(prefix, index)).Name;
                dynamicReferences++;
                value = QpackString.Decode(section, 8, ref pos, Failed);
            }
            var field = new Http3Field(name, value);
            size += field.Size;
            if (size > maxFieldSectionSize)
                throw new Http3Exception(Http3ErrorCode.MessageError, "field section exceeds SETTINGS_MAX_FIELD_SECTION_SIZE", isStreamError: true);
            fields.Add(field);
        }
        return fields;
    }

    /// <summary>§3.2.5: in a field line, relative index 0 is the entry with absolute index Base - 1.</summary>
    private static long RelativeToAbsolute(SectionPrefix prefix, ulong index)
    {
        if (index >= (ulong)prefix.Base) throw new Http3Exception(Failed, $"relative index {index} at or beyond Base {prefix.Base}");
        return prefix.Base - 1 - (long)index;
    }

    /// <summary>§3.2.6: post-Base index 0 is the entry with absolute index Base.</summary>
    private static long PostBaseToAbsolute(SectionPrefix prefix, ulong index)
    {
        if (index >= (ulong)Math.Max(0, prefix.RequiredInsertCount - prefix.Base)) throw new Http3Exception(Failed, $"post-Base index {index} at or beyond the Required Insert Count");
        return prefix.Base + (long)index;
    }

    /// <summary>§2.2.3: a reference at or above the Required Insert Count, or to an evicted entry, is an error.</summary>
    private static QpackDynamicTable.Entry Dynamic(QpackDynamicTable? table, SectionPrefix prefix, long absolute)
    {
        if (table is null || absolute >= prefix.RequiredInsertCount) throw new Http3Exception(Failed, "dynamic table reference outside the Required Insert Count");
        return table.Get(absolute, Failed);
    }

    private static (string Name, string Value) StaticEntry(ulong index)
    {
        if (index >= QpackStaticTable.Count) throw new Http3Exception(Failed, $"static table index {index} out of range");
        return QpackStaticTable.Get((int)index);
    }
}
