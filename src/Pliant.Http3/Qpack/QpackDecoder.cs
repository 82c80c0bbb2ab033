namespace Pliant.Http3.Qpack;

/// <summary>
/// Decodes field sections for a decoder that advertised SETTINGS_QPACK_MAX_TABLE_CAPACITY = 0: any
/// dynamic-table reference or non-zero Required Insert Count is QPACK_DECOMPRESSION_FAILED (RFC 9204 §2.2.3, §4.5).
/// </summary>
public static class QpackDecoder
{
    private const Http3ErrorCode Failed = Http3ErrorCode.QpackDecompressionFailed;

    /// <summary>
    /// Decodes <paramref name="section"/>. When the decoded size (RFC 9114 §4.2.2) exceeds
    /// <paramref name="maxFieldSectionSize"/>, throws a stream-level H3_MESSAGE_ERROR.
    /// </summary>
    public static List<Http3Field> Decode(ReadOnlySpan<byte> section, long maxFieldSectionSize = long.MaxValue)
    {
        int pos = 0;
        ulong ric = QpackInteger.Decode(section, 8, ref pos, Failed);
        // With MaxEntries = 0, the only valid encoded Required Insert Count is 0 (RFC 9204 §4.5.1.1).
        if (ric != 0) throw new Http3Exception(Failed, "field section references the dynamic table (Required Insert Count != 0)");
        if (pos >= section.Length) throw new Http3Exception(Failed, "truncated field section prefix");
        bool sign = (section[pos] & 0x80) != 0;
        ulong deltaBase = QpackInteger.Decode(section, 7, ref pos, Failed);
        // §4.5.1.2: Sign=1 requires Required Insert Count > Delta Base, impossible with RIC 0.
        if (sign) throw new Http3Exception(Failed, "negative Base");
        _ = deltaBase;

        var fields = new List<Http3Field>();
        long size = 0;
        while (pos < section.Length)
        {
            byte b = section[pos];
            string name, value;
            if ((b & 0x80) != 0)
            {
                // Indexed Field Line '1T' + 6-bit index.
                if ((b & 0x40) == 0) throw new Http3Exception(Failed, "dynamic table reference");
                (name, value) = StaticEntry(QpackInteger.Decode(section, 6, ref pos, Failed));
            }
            else if ((b & 0x40) != 0)
            {
                // Literal with Name Reference '01NT' + 4-bit index.
                if ((b & 0x10) == 0) throw new Http3Exception(Failed, "dynamic table name reference");
                name = StaticEntry(QpackInteger.Decode(section, 4, ref pos, Failed)).Name;
                value = QpackString.Decode(section, 8, ref pos, Failed);
            }
            else if ((b & 0x20) != 0)
            {
                // Literal with Literal Name '001N' + 4-bit prefix string name.
                name = QpackString.Decode(section, 4, ref pos, Failed);
                value = QpackString.Decode(section, 8, ref pos, Failed);
            }
            else
            {
                // '0001' post-Base indexed and '0000' post-Base name reference: dynamic table only.
                throw new Http3Exception(Failed, "post-Base dynamic table reference");
            }
            var field = new Http3Field(name, value);
            size += field.Size;
            if (size > maxFieldSectionSize)
                throw new Http3Exception(Http3ErrorCode.MessageError, "field section exceeds SETTINGS_MAX_FIELD_SECTION_SIZE", isStreamError: true);
            fields.Add(field);
        }
        return fields;
    }

    private static (string Name, string Value) StaticEntry(ulong index)
    {
        if (index >= QpackStaticTable.Count) throw new Http3Exception(Failed, $"static table index {index} out of range");
        return QpackStaticTable.Get((int)index);
    }
}
