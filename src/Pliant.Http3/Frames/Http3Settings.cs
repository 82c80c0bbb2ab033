using System.Buffers;
using Pliant.Quic.Wire;

namespace Pliant.Http3.Frames;

/// <summary>SETTINGS frame contents (RFC 9114 §7.2.4, RFC 9204 §5).</summary>
public sealed class Http3Settings
{
    public const ulong QpackMaxTableCapacityId = 0x01;
    public const ulong MaxFieldSectionSizeId = 0x06;
    public const ulong QpackBlockedStreamsId = 0x07;

    /// <summary>SETTINGS_QPACK_MAX_TABLE_CAPACITY (default 0).</summary>
    public ulong QpackMaxTableCapacity { get; set; }

    /// <summary>SETTINGS_QPACK_BLOCKED_STREAMS (default 0).</summary>
    public ulong QpackBlockedStreams { get; set; }

    /// <summary>SETTINGS_MAX_FIELD_SECTION_SIZE; null = unlimited (the default).</summary>
    public ulong? MaxFieldSectionSize { get; set; }

    /// <summary>Settings we do not understand (the first <see cref="MaxUnknownKept"/> kept, otherwise ignored).</summary>
    public List<(ulong Id, ulong Value)> Unknown { get; } = [];

    /// <summary>
    /// Unknown settings kept by <see cref="Parse"/>; the rest are checked for duplicates and dropped, so a
    /// SETTINGS frame stuffed with thousands of (GREASE) parameters costs no memory beyond its frame.
    /// </summary>
    public const int MaxUnknownKept = 64;

    /// <summary>Parses a SETTINGS payload; duplicates and HTTP/2-only ids are H3_SETTINGS_ERROR.</summary>
    public static Http3Settings Parse(ReadOnlySpan<byte> payload)
    {
        var s = new Http3Settings();
        var seen = new HashSet<ulong>();
        int pos = 0;
        while (pos < payload.Length)
        {
            ulong id = ReadVarInt(payload, ref pos);
            ulong value = ReadVarInt(payload, ref pos);
            // §7.2.4: the same identifier MUST NOT occur more than once.
            if (!seen.Add(id)) throw new Http3Exception(Http3ErrorCode.SettingsError, $"duplicate setting 0x{id:x}");
            switch (id)
            {
                case QpackMaxTableCapacityId: s.QpackMaxTableCapacity = value; break;
                case MaxFieldSectionSizeId: s.MaxFieldSectionSize = value; break;
                case QpackBlockedStreamsId: s.QpackBlockedStreams = value; break;
                // §7.2.4.1, §11.2.2: HTTP/2 settings (ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE).
                case 0x02 or 0x03 or 0x04 or 0x05:
                    throw new Http3Exception(Http3ErrorCode.SettingsError, $"HTTP/2 setting 0x{id:x} in HTTP/3 SETTINGS");
                default:
                    if (s.Unknown.Count < MaxUnknownKept) s.Unknown.Add((id, value));
                    break;
            }
        }
        return s;
    }

    /// <summary>Writes the SETTINGS payload (no frame header).</summary>
    public void WritePayload(IBufferWriter<byte> w)
    {
        ArgumentNullException.ThrowIfNull(w);
        Write(w, QpackMaxTableCapacityId, QpackMaxTableCapacity);
        Write(w, QpackBlockedStreamsId, QpackBlockedStreams);
        if (MaxFieldSectionSize is ulong m) Write(w, MaxFieldSectionSizeId, m);
        foreach (var (id, v) in Unknown) Write(w, id, v);
    }

    private static void Write(IBufferWriter<byte> w, ulong id, ulong value)
    {
        Span<byte> span = w.GetSpan(16);
        int n = VarInt.Write(span, id);
        n += VarInt.Write(span[n..], value);
        w.Advance(n);
    }

    private static ulong ReadVarInt(ReadOnlySpan<byte> src, ref int pos)
    {
        // §7.1: a payload ending inside a field is H3_FRAME_ERROR.
        if (!VarInt.TryRead(src[pos..], out ulong v, out int n)) throw new Http3Exception(Http3ErrorCode.FrameError, "truncated SETTINGS parameter");
        pos += n;
        return v;
    }
}
