using System.Buffers;
using System.Text.Json;
using static Pliant.Quic.Diagnostics.QlogRecord;

namespace Pliant.Quic.Diagnostics;

/// <summary>How a connection's qlog is written (<see cref="QlogTrace"/>).</summary>
public enum QlogFormat
{
    /// <summary>JSON-SEQ text, <c>ODCID_side.sqlog</c>: what qvis and the other stacks' tools read (the default).</summary>
    JsonSeq,

    /// <summary>
    /// Pliant's binary records as they are, <c>ODCID_side.pqlog</c> (<see cref="QlogBinaryFile"/>): about a fifth of
    /// the bytes and no formatting while the connection runs; <c>pliant qlog convert</c> makes the JSON-SEQ file.
    /// </summary>
    Binary,
}

/// <summary>Whose view a trace is (the header's vantage point, and the file name's side).</summary>
internal enum QlogVantage : byte
{
    Client = 0,
    Server = 1,

    /// <summary>A router between clients and servers (<c>pliant route --qlog</c>): qlog's "network" vantage point.</summary>
    Network = 2,
}

/// <summary>What <see cref="QlogBinaryFile.Convert"/> did.</summary>
/// <param name="Records">Records written as JSON-SEQ, the header record included.</param>
/// <param name="Skipped">
/// Damaged places skipped: a raw record whose text is not one JSON object, or a malformed record (the rest of its
/// block is skipped with it, since records carry no length of their own).
/// </param>
/// <param name="Problem">Why the conversion stopped before the end of the file (truncated, a block length out of
/// bounds), or null when it read the whole file.</param>
public sealed record QlogConversion(long Records, long Skipped, string? Problem);

/// <summary>
/// Pliant's binary qlog file (<c>.pqlog</c>, <see cref="QlogFormat.Binary"/>), version 1: the records the
/// connection's thread makes (<c>QlogRecord</c>), written as they are by the qlog writer thread, and the conversion
/// to the JSON-SEQ text the <see cref="QlogFormat.JsonSeq"/> mode writes — byte for byte the same, as one formatter
/// does both. docs/qlog.md describes the layout.
/// </summary>
/// <remarks>
/// <para>Layout, little-endian: the 8-byte magic <c>89 50 51 4C 4F 47 0D 0A</c> ("\x89PQLOG\r\n", so a text-mode
/// transfer or a 7-bit channel shows as a wrong magic), the format version (2 bytes, 1), the length of the rest of
/// the header (2 bytes, at least 11 and at most <see cref="MaxHeaderSize"/>; later fields a version-1 reader skips),
/// the vantage point (1 byte: 0 client, 1 server, 2 network), flags (1 byte, 0), the reference time (8 bytes: Unix time in
/// microseconds, UTC, the epoch record times count from), the original Destination Connection ID's length (1 byte,
/// at most 20) and bytes. Then blocks to the end of the file: a length (4 bytes, 1 to <see cref="MaxBlockSize"/>)
/// and that many bytes of records.</para>
/// <para>Hostile files: the header is checked field by field (a precise <see cref="InvalidDataException"/>); each
/// record is measured against its block before it is formatted, and a raw record's text must be one JSON object
/// between RS and LF. A damaged record is skipped and counted; a block length out of bounds or a file cut short
/// stops the conversion with what was read converted. Memory: one block at a time, grown only as its bytes arrive,
/// so a lying length costs at most twice the bytes the file has (and never more than 16 MiB).</para>
/// </remarks>
public static class QlogBinaryFile
{
    /// <summary>The file name extension of binary traces.</summary>
    public const string Extension = ".pqlog";

    /// <summary>The format version this writes and reads.</summary>
    public const ushort Version = 1;

    /// <summary>The longest header (after the version and length fields) a reader accepts.</summary>
    public const int MaxHeaderSize = 1024;

    /// <summary>The largest block a reader accepts (a block holds whole records; one record is at most ~23 KiB, or a raw record's text).</summary>
    public const int MaxBlockSize = 16 << 20;

    /// <summary>The bytes before each block: its length.</summary>
    internal const int BlockHeaderSize = 4;

    private const int FixedHeaderSize = 1 + 1 + 8 + 1; // side, flags, reference time, ODCID length
    private const int MaxConnectionIdLength = 20; // RFC 9000 §17.2

    /// <summary>The magic at the start of every binary qlog file.</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'P', (byte)'Q', (byte)'L', (byte)'O', (byte)'G', 0x0D, 0x0A];

    /// <summary>Whether <paramref name="start"/> (a file's first bytes) begins with <see cref="Magic"/>.</summary>
    public static bool IsBinary(ReadOnlySpan<byte> start) => start.StartsWith(Magic);

    /// <summary>A binary trace's header.</summary>
    internal static byte[] Header(ReadOnlySpan<byte> originalDcid, QlogVantage vantage, DateTime epoch)
    {
        if (originalDcid.Length > MaxConnectionIdLength) throw new ArgumentException("connection ID longer than 20 bytes", nameof(originalDcid));
        int rest = FixedHeaderSize + originalDcid.Length;
        var h = new byte[Magic.Length + 4 + rest];
        Magic.CopyTo(h);
        int p = Magic.Length;
        PutU16(h, p, Version);
        PutU16(h, p + 2, rest);
        p += 4;
        h[p] = (byte)vantage;
        h[p + 1] = 0;
        PutI64(h, p + 2, (epoch.ToUniversalTime() - DateTime.UnixEpoch).Ticks / 10);
        h[p + 10] = (byte)originalDcid.Length;
        originalDcid.CopyTo(h.AsSpan(p + 11));
        return h;
    }

    /// <summary>
    /// Converts a binary trace read from <paramref name="pqlog"/> into the JSON-SEQ text written to
    /// <paramref name="sqlog"/>: the same bytes the JSON-SEQ mode would have written for the same events.
    /// </summary>
    /// <exception cref="InvalidDataException">The input is not a binary qlog of a version this reads (nothing written).</exception>
    public static QlogConversion Convert(Stream pqlog, Stream sqlog)
    {
        ArgumentNullException.ThrowIfNull(pqlog);
        ArgumentNullException.ThrowIfNull(sqlog);
        var (group, vantage, epoch, offset) = ReadHeader(pqlog);
        var sink = new StreamSink(sqlog);
        long records = 1, skipped = 0;
        var header = new ArrayBufferWriter<byte>(1024);
        header.Write([(byte)0x1E]);
        using (var j = new Utf8JsonWriter(header, new JsonWriterOptions { SkipValidation = true }))
        {
            QlogTrace.WriteHeader(j, group, vantage, epoch);
        }
        header.Write([(byte)'\n']);
        sqlog.Write(header.WrittenSpan);

        var text = new byte[QlogFormatter.TextBufferSize];
        byte[] block = new byte[64 * 1024];
        Span<byte> lengthBytes = stackalloc byte[BlockHeaderSize];
        while (true)
        {
            int got = pqlog.ReadAtLeast(lengthBytes, BlockHeaderSize, throwOnEndOfStream: false);
            if (got == 0) return new QlogConversion(records, skipped, null);
            if (got < BlockHeaderSize) return new QlogConversion(records, skipped, $"truncated: the file ends inside a block length at offset {offset}");
            int length = I32(lengthBytes, 0);
            if (length <= 0 || length > MaxBlockSize)
                return new QlogConversion(records, skipped, $"a block length of {(uint)length} bytes at offset {offset} (1 to {MaxBlockSize} allowed)");
            offset += BlockHeaderSize;
            int have = ReadBlock(pqlog, ref block, length);
            var b = block.AsSpan(0, have);
            for (int at = 0; at < b.Length;)
            {
                int size = Measure(b[at..]);
                if (size < 0)
                {
                    skipped++; // the rest of the block: records have no length of their own to step over it
                    break;
                }
                var record = b.Slice(at, size);
                at += size;
                if (record[0] == Kind.Raw && !IsJsonSeqRecord(record[RawHeaderSize..]))
                {
                    skipped++;
                    continue;
                }
                QlogFormatter.FormatRecords(record, text, sink);
                records++;
            }
            if (have < length)
                return new QlogConversion(records, skipped, $"truncated: the block at offset {offset - BlockHeaderSize} has {have} of its {length} bytes");
            offset += length;
        }
    }

    /// <summary>Reads and checks the header; the position after it.</summary>
    private static (string Group, QlogVantage Vantage, DateTime Epoch, long Offset) ReadHeader(Stream s)
    {
        Span<byte> start = stackalloc byte[12];
        int got = s.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        if (got < Magic.Length || !start.StartsWith(Magic))
            throw new InvalidDataException("not a Pliant binary qlog (.pqlog): the magic is missing");
        if (got < start.Length) throw new InvalidDataException("truncated binary qlog: the header is cut short");
        int version = U16(start, 8);
        if (version != Version)
            throw new InvalidDataException($"binary qlog version {version}: this reads version {Version} only");
        int rest = U16(start, 10);
        if (rest < FixedHeaderSize || rest > MaxHeaderSize)
            throw new InvalidDataException($"binary qlog header of {rest} bytes ({FixedHeaderSize} to {MaxHeaderSize} allowed)");
        var h = new byte[rest];
        if (s.ReadAtLeast(h, rest, throwOnEndOfStream: false) < rest) throw new InvalidDataException("truncated binary qlog: the header is cut short");
        if (h[0] > 2) throw new InvalidDataException($"binary qlog vantage point {h[0]} (0 client, 1 server, 2 network)");
        long us = I64(h, 2);
        const long MaxUs = 253_402_300_799_999_999; // 9999-12-31T23:59:59.999999Z
        const long MinUs = -62_135_596_800_000_000; // 0001-01-01T00:00:00Z
        if (us < MinUs || us > MaxUs) throw new InvalidDataException($"binary qlog reference time {us} µs is not a date");
        int cid = h[10];
        if (cid > MaxConnectionIdLength || FixedHeaderSize + cid > rest)
            throw new InvalidDataException($"binary qlog connection ID of {cid} bytes (at most {Math.Min(MaxConnectionIdLength, rest - FixedHeaderSize)})");
        string group = System.Convert.ToHexStringLower(h.AsSpan(FixedHeaderSize, cid));
        return (group, (QlogVantage)h[0], DateTime.UnixEpoch.AddTicks(us * 10), start.Length + rest);
    }

    /// <summary>
    /// Reads up to <paramref name="length"/> bytes into <paramref name="block"/>, growing it only as bytes arrive
    /// (a lying length does not allocate what the file does not have); returns the bytes read.
    /// </summary>
    private static int ReadBlock(Stream s, ref byte[] block, int length)
    {
        int have = 0;
        while (have < length)
        {
            if (have == block.Length) Array.Resize(ref block, (int)Math.Min(length, 2L * block.Length));
            int n = s.Read(block, have, Math.Min(length, block.Length) - have);
            if (n == 0) break;
            have += n;
        }
        return have;
    }

    /// <summary>RS, one JSON object, LF (RFC 7464) — what every raw record of a trace is.</summary>
    private static bool IsJsonSeqRecord(ReadOnlySpan<byte> text)
    {
        if (text.Length < 4 || text[0] != 0x1E || text[^1] != (byte)'\n') return false;
        var reader = new Utf8JsonReader(text[1..^1], new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            reader.Skip();
            return !reader.Read(); // nothing after the object
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private sealed class StreamSink(Stream stream) : IQlogTextSink
    {
        public void Write(ReadOnlySpan<byte> text) => stream.Write(text);
    }
}
