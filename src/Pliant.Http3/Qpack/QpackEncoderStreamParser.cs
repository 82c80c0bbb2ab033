namespace Pliant.Http3.Qpack;

/// <summary>
/// Parses the peer's encoder stream (RFC 9204 §4.3) into our decoder's dynamic table: Set Dynamic Table
/// Capacity, Insert with Name Reference, Insert with Literal Name, Duplicate. Instructions may be split
/// across reads; an instruction is applied only once it is complete. Every error is
/// QPACK_ENCODER_STREAM_ERROR (a capacity above our SETTINGS_QPACK_MAX_TABLE_CAPACITY, an entry larger than
/// the capacity, a reference to an entry not in the table or outside the static table, bad Huffman data).
/// Memory: the unfinished instruction kept between reads is at most one entry's worth (a string longer than
/// the capacity is refused as soon as its length is read), so this parser holds at most about the
/// capacity plus the table.
/// </summary>
public sealed class QpackEncoderStreamParser
{
    private const Http3ErrorCode Error = Http3ErrorCode.QpackEncoderStreamError;
    private byte[] _pending = [];

    /// <param name="maxTableCapacity">Our SETTINGS_QPACK_MAX_TABLE_CAPACITY.</param>
    public QpackEncoderStreamParser(ulong maxTableCapacity = 0) : this(new QpackDynamicTable(maxTableCapacity))
    {
    }

    /// <param name="table">The decoder's table the instructions modify.</param>
    public QpackEncoderStreamParser(QpackDynamicTable table) => Table = table ?? throw new ArgumentNullException(nameof(table));

    /// <summary>The table the instructions modify.</summary>
    public QpackDynamicTable Table { get; }

    /// <summary>Current capacity the peer set.</summary>
    public ulong Capacity => (ulong)Table.Capacity;

    /// <summary>True once the peer set a non-zero capacity (its encoder uses the table).</summary>
    public bool PeerUsesTable { get; private set; }

    /// <summary>Bytes of an instruction still waiting for the rest of it.</summary>
    public int PendingBytes => _pending.Length;

    /// <summary>Feeds bytes read from the encoder stream.</summary>
    public void Process(ReadOnlySpan<byte> data)
    {
        byte[] buf = _pending.Length == 0 ? data.ToArray() : [.. _pending, .. data];
        var r = new QpackReader(buf, Error);
        while (!r.AtEnd)
        {
            int start = r.Position;
            if (!TryInstruction(ref r))
            {
                r.Position = start;
                break;
            }
        }
        _pending = buf[r.Position..];
    }

    /// <summary>Parses and applies one instruction; false (nothing applied) when it is not complete yet.</summary>
    private bool TryInstruction(ref QpackReader r)
    {
        byte b = r.Peek;
        // A name or value can be at most what an entry of the current capacity holds.
        long maxString = Math.Max(0, Table.Capacity - QpackDynamicTable.EntryOverhead);
        if ((b & 0x80) != 0)
        {
            // §4.3.2 Insert with Name Reference: '1', T, 6-bit index, then the value (8-bit prefix string).
            bool isStatic = (b & 0x40) != 0;
            if (!r.TryInt(6, out ulong index) || !r.TryString(8, maxString, out string value)) return false;
            string name = isStatic ? StaticName(index) : Relative(index).Name;
            Table.Insert(name, value, Error);
        }
        else if ((b & 0x40) != 0)
        {
            // §4.3.3 Insert with Literal Name: '01', name as a 6-bit prefix string, value as an 8-bit prefix string.
            if (!r.TryString(6, maxString, out string name) || !r.TryString(8, maxString, out string value)) return false;
            Table.Insert(name, value, Error);
        }
        else if ((b & 0x20) != 0)
        {
            // §4.3.1 Set Dynamic Table Capacity: '001', 5-bit capacity.
            if (!r.TryInt(5, out ulong capacity)) return false;
            Table.SetCapacity(capacity, Error);
            if (capacity > 0) PeerUsesTable = true;
        }
        else
        {
            // §4.3.4 Duplicate: '000', 5-bit relative index.
            if (!r.TryInt(5, out ulong index)) return false;
            var entry = Relative(index);
            Table.Insert(entry.Name, entry.Value, entry.Size, Error);
        }
        return true;
    }

    private static string StaticName(ulong index)
    {
        // §3.1: an invalid static index on the encoder stream is QPACK_ENCODER_STREAM_ERROR.
        if (index >= QpackStaticTable.Count) throw new Http3Exception(Error, $"static table index {index} out of range");
        return QpackStaticTable.Get((int)index).Name;
    }

    /// <summary>§3.2.5: on the encoder stream, relative index 0 is the most recently inserted entry.</summary>
    private QpackDynamicTable.Entry Relative(ulong index)
    {
        if (index >= (ulong)Table.InsertCount) throw new Http3Exception(Error, $"relative index {index} beyond the {Table.InsertCount} entries inserted");
        return Table.Get(Table.InsertCount - 1 - (long)index, Error);
    }
}
