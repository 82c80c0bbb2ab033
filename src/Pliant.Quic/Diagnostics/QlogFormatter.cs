using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Pliant.Quic.Diagnostics.QlogRecord;

namespace Pliant.Quic.Diagnostics;

/// <summary>Where <see cref="QlogFormatter.FormatRecords"/> puts the JSON-SEQ text.</summary>
internal interface IQlogTextSink
{
    void Write(ReadOnlySpan<byte> text);
}

/// <summary>
/// Turns the binary records of <see cref="QlogRecord"/> into JSON-SEQ text (RFC 7464: RS, a JSON object, LF) on the
/// writer thread: constant text copied, numbers formatted by hand (two digits per step), no allocation. The output is
/// what <see cref="System.Text.Json.Utf8JsonWriter"/> would write for the same events, field for field.
/// </summary>
internal sealed class QlogFormatter
{
    /// <summary>The size of the text buffer <see cref="FormatRecords"/> callers use: more than the longest packet record's text.</summary>
    public const int TextBufferSize = 256 * 1024;

    /// <summary>The most text one packet record can become (its frames at the longest, numbers at 20 digits).</summary>
    public static int MaxTextSize(int frames) => 256 + frames * 160;

    private static readonly byte[][] PacketTypeNames =
        ["initial"u8.ToArray(), "handshake"u8.ToArray(), "0RTT"u8.ToArray(), "1RTT"u8.ToArray(), "retry"u8.ToArray(), "unknown"u8.ToArray()];

    private static readonly byte[][] SentKindNames = [.. Enum.GetValues<SentFrameKind>().OrderBy(k => (int)k)
        .Select(k => System.Text.Encoding.ASCII.GetBytes(SentKindName(k)))];

    // Received frame codes (QlogRecord.FrameCode): the type below 0x20, 0x30 datagram, anything else unknown.
    private static readonly byte[][] FrameCodeNames = [.. Enumerable.Range(0, 256)
        .Select(c => System.Text.Encoding.ASCII.GetBytes(c < 0x20 || c == 0x30 ? QlogTrace.FrameTypeName((ulong)c) : "unknown"))];

    // Congestion states (QlogRecord.CongestionStateCode): NewReno, CUBIC and LIA 0-2, BBR 16 on; others "unknown".
    private static readonly byte[][] CongestionStateNames = [.. Enumerable.Range(0, 256)
        .Select(c => System.Text.Encoding.ASCII.GetBytes(QlogRecord.CongestionStateName((byte)c)))];

    private static ReadOnlySpan<byte> Digits2 => "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary>
    /// Formats the record at <paramref name="at"/> of <paramref name="block"/> into <paramref name="text"/> (which
    /// must hold <see cref="RecordTextBound"/> bytes) and returns the bytes written; <paramref name="size"/> is the
    /// record's length in the block.
    /// </summary>
    public static int Format(ReadOnlySpan<byte> block, int at, Span<byte> text, out int size)
    {
        var r = block[at..];
        // Constants are copied without bounds checks (Put): the text bound of the record is checked once here.
        if (text.Length < RecordTextBound(block, at)) throw new ArgumentException("qlog text buffer too small", nameof(text));
        bool onPath = (r[0] & Kind.OnPath) != 0;
        switch ((byte)(r[0] & ~Kind.OnPath))
        {
            case Kind.PacketSent: return FormatSent(r, text, onPath, out size);
            case Kind.PacketReceived: return FormatReceived(r, text, onPath, out size);
            case Kind.PacketLost:
                size = LostSize + (onPath ? PathIdSize : 0);
                return FormatLost(r, text, onPath);
            case Kind.CongestionState:
                size = CongestionStateSize + (onPath ? PathIdSize : 0);
                return FormatCongestionState(r, text, onPath);
            case Kind.Metrics:
                size = MetricsSize;
                return FormatMetrics(r, text);
            case Kind.Dropped:
                size = DroppedSize;
                return FormatDropped(r, text);
            case Kind.Raw:
                int length = I32(r, 1);
                size = RawHeaderSize + length;
                r.Slice(RawHeaderSize, length).CopyTo(text);
                return length;
            default:
                throw new InvalidOperationException($"qlog record kind {r[0]} unknown"); // a bug, not input
        }
    }

    /// <summary>
    /// Formats a run of whole records into <paramref name="text"/>, handing the text to <paramref name="sink"/>
    /// whenever the buffer is full and at the end; a raw record larger than the buffer goes to the sink as it is. The
    /// one formatting loop of the writer thread (JSON-SEQ mode) and of <see cref="QlogBinaryFile"/>'s conversion.
    /// </summary>
    public static void FormatRecords(ReadOnlySpan<byte> records, byte[] text, IQlogTextSink sink)
    {
        int at = 0, n = 0;
        while (at < records.Length)
        {
            int bound = RecordTextBound(records, at);
            if (bound > text.Length - n)
            {
                sink.Write(text.AsSpan(0, n));
                n = 0;
                if (bound > text.Length)
                {
                    // A raw record larger than the text buffer (a very long close reason): written as it is.
                    int length = I32(records, at + 1);
                    sink.Write(records.Slice(at + RawHeaderSize, length));
                    at += RawHeaderSize + length;
                    continue;
                }
            }
            n += Format(records, at, text.AsSpan(n), out int size);
            at += size;
        }
        if (n > 0) sink.Write(text.AsSpan(0, n));
    }

    /// <summary>The most text the record at <paramref name="at"/> can become (a raw record: its own length).</summary>
    public static int RecordTextBound(ReadOnlySpan<byte> block, int at) => (byte)(block[at] & ~Kind.OnPath) switch
    {
        Kind.Raw => I32(block, at + 1),
        Kind.PacketSent or Kind.PacketReceived => MaxTextSize(U16(block, at + 2)),
        _ => 512,
    };

    // Stream and crypto data lengths go in the frame's raw.payload_length (quic-events-13 StreamFrame, CryptoFrame).
    private static int FormatSent(ReadOnlySpan<byte> r, Span<byte> t, bool onPath, out int size)
    {
        int frames = U16(r, 2);
        int n = Start(t, I64(r, 4), ",\"name\":\"quic:packet_sent\",\"data\":{\"header\":{\"packet_type\":\""u8);
        n = HeaderAndFrames(t, n, r[1], U64(r, 12));
        int p = PacketHeaderSize;
        for (int i = 0; i < frames; i++)
        {
            if (i > 0) t[n++] = (byte)',';
            var kind = (SentFrameKind)r[p++];
            switch (kind)
            {
                case SentFrameKind.Stream:
                    bool fin = r[p] != 0;
                    n = Put(t, n, "{\"frame_type\":\"stream\",\"stream_id\":"u8);
                    n = Number(t, n, U64(r, p + 1));
                    n = Put(t, n, ",\"offset\":"u8);
                    n = Number(t, n, U64(r, p + 9));
                    n = Put(t, n, fin ? ",\"fin\":true,\"raw\":{\"payload_length\":"u8 : ",\"raw\":{\"payload_length\":"u8);
                    n = Number(t, n, (uint)I32(r, p + 17));
                    n = Put(t, n, "}}"u8);
                    p += 21;
                    break;
                case SentFrameKind.Crypto:
                    n = Put(t, n, "{\"frame_type\":\"crypto\",\"offset\":"u8);
                    n = Number(t, n, U64(r, p));
                    n = Put(t, n, ",\"raw\":{\"payload_length\":"u8);
                    n = Number(t, n, (uint)I32(r, p + 8));
                    n = Put(t, n, "}}"u8);
                    p += 12;
                    break;
                case SentFrameKind.Plugin:
                    n = Put(t, n, "{\"frame_type\":\"unknown\",\"raw_frame_type\":"u8);
                    n = Number(t, n, U64(r, p));
                    t[n++] = (byte)'}';
                    p += 8;
                    break;
                default:
                    n = Put(t, n, "{\"frame_type\":\""u8);
                    n = Put(t, n, (int)kind < SentKindNames.Length ? SentKindNames[(int)kind] : "unknown"u8);
                    n = Put(t, n, "\"}"u8);
                    break;
            }
        }
        size = p + (onPath ? PathIdSize : 0);
        return End(t, n, (uint)I32(r, 20), onPath ? U32(r, p) : null);
    }

    private static int FormatReceived(ReadOnlySpan<byte> r, Span<byte> t, bool onPath, out int size)
    {
        int entries = U16(r, 2);
        int n = Start(t, I64(r, 4), ",\"name\":\"quic:packet_received\",\"data\":{\"header\":{\"packet_type\":\""u8);
        n = HeaderAndFrames(t, n, r[1], U64(r, 12));
        int p = PacketHeaderSize;
        for (int i = 0; i < entries; i++)
        {
            if (i > 0) t[n++] = (byte)',';
            byte code = r[p++];
            n = Put(t, n, "{\"frame_type\":\""u8);
            n = Put(t, n, FrameCodeNames[code]);
            if (code == 0)
            {
                // RFC 9000 §19.1: each padding byte is a frame; a run of them is listed once with its length.
                n = Put(t, n, "\",\"raw\":{\"length\":"u8);
                n = Number(t, n, (uint)U16(r, p));
                n = Put(t, n, "}}"u8);
                p += 2;
            }
            else
            {
                n = Put(t, n, "\"}"u8);
            }
        }
        size = p + (onPath ? PathIdSize : 0);
        return End(t, n, (uint)I32(r, 20), onPath ? U32(r, p) : null);
    }

    private static int FormatLost(ReadOnlySpan<byte> r, Span<byte> t, bool onPath)
    {
        int n = Start(t, I64(r, 2), ",\"name\":\"quic:packet_lost\",\"data\":{\"header\":{\"packet_type\":\""u8);
        n = Put(t, n, PacketTypeNames[Math.Min((int)r[1], PacketTypeNames.Length - 1)]);
        n = Put(t, n, "\",\"packet_number\":"u8);
        n = Number(t, n, U64(r, 10));
        n = Put(t, n, "}}"u8);
        return Close(t, n, onPath ? U32(r, LostSize) : null);
    }

    /// <summary>quic:congestion_state_updated (quic-events-13 leaves the states to the stack: docs/qlog.md lists Pliant's).</summary>
    private static int FormatCongestionState(ReadOnlySpan<byte> r, Span<byte> t, bool onPath)
    {
        int n = Start(t, I64(r, 3), ",\"name\":\"quic:congestion_state_updated\",\"data\":{"u8);
        if (r[1] != NoCongestionState)
        {
            n = Put(t, n, "\"old\":\""u8);
            n = Put(t, n, CongestionStateNames[r[1]]);
            n = Put(t, n, "\","u8);
        }
        n = Put(t, n, "\"new\":\""u8);
        n = Put(t, n, CongestionStateNames[r[2]]);
        n = Put(t, n, "\"}"u8);
        return Close(t, n, onPath ? U32(r, CongestionStateSize) : null);
    }

    private static int FormatMetrics(ReadOnlySpan<byte> r, Span<byte> t)
    {
        int n = Start(t, I64(r, 5), ",\"name\":\"quic:recovery_metrics_updated\",\"data\":{\"min_rtt\":"u8);
        // RTTs in milliseconds, as the schema asks.
        n = Millis(t, n, I64(r, 13));
        n = Put(t, n, ",\"smoothed_rtt\":"u8);
        n = Millis(t, n, I64(r, 21));
        n = Put(t, n, ",\"latest_rtt\":"u8);
        n = Millis(t, n, I64(r, 29));
        n = Put(t, n, ",\"rtt_variance\":"u8);
        n = Millis(t, n, I64(r, 37));
        n = Put(t, n, ",\"pto_count\":"u8);
        n = Signed(t, n, I32(r, 1));
        n = Put(t, n, ",\"congestion_window\":"u8);
        n = Signed(t, n, I64(r, 45));
        n = Put(t, n, ",\"bytes_in_flight\":"u8);
        n = Signed(t, n, I64(r, 53));
        return Put(t, n, "}}\n"u8);
    }

    private static int FormatDropped(ReadOnlySpan<byte> r, Span<byte> t)
    {
        // The main schema's generic warning event: qlog has no event for a trace that lost some of its own events.
        int n = Start(t, I64(r, 1), ",\"name\":\"loglevel:warning\",\"data\":{\"message\":\"qlog: "u8);
        n = Number(t, n, U64(r, 9));
        return Put(t, n, " events dropped so far (the writer fell behind)\"}}\n"u8);
    }

    /// <summary>RS, <c>{"time":</c>, the time, then <paramref name="rest"/> (from the comma after the time on).</summary>
    private static int Start(Span<byte> t, long timeUs, ReadOnlySpan<byte> rest)
    {
        int n = Put(t, 0, "\u001e{\"time\":"u8);
        n = Millis(t, n, timeUs);
        return Put(t, n, rest);
    }

    private static int HeaderAndFrames(Span<byte> t, int n, byte packetType, ulong packetNumber)
    {
        n = Put(t, n, PacketTypeNames[Math.Min((int)packetType, PacketTypeNames.Length - 1)]);
        n = Put(t, n, "\",\"packet_number\":"u8);
        n = Number(t, n, packetNumber);
        return Put(t, n, "},\"frames\":["u8);
    }

    private static int End(Span<byte> t, int n, uint length, uint? pathId)
    {
        n = Put(t, n, "],\"raw\":{\"length\":"u8);
        n = Number(t, n, length);
        n = Put(t, n, "}}"u8);
        return Close(t, n, pathId);
    }

    /// <summary>Ends the event: its <c>tuple</c> (main schema §7.2, the path ID on a multipath connection), then <c>}</c> and LF.</summary>
    private static int Close(Span<byte> t, int n, uint? pathId)
    {
        if (pathId is uint id)
        {
            n = Put(t, n, ",\"tuple\":\""u8);
            n = Number(t, n, id);
            n = Put(t, n, "\""u8);
        }
        return Put(t, n, "}\n"u8);
    }

    // Inlined: the constants' lengths are known to the JIT, which copies them with a few vector moves instead of a
    // call to Memmove (half the formatting time before). Unchecked: Format checked the record's text bound.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Put(Span<byte> t, int n, ReadOnlySpan<byte> s)
    {
        Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetReference(t), n), ref MemoryMarshal.GetReference(s), (uint)s.Length);
        return n + s.Length;
    }

    /// <summary>Microseconds as milliseconds with three decimals (<c>12.345</c>).</summary>
    internal static int Millis(Span<byte> t, int n, long us)
    {
        if (us < 0)
        {
            t[n++] = (byte)'-';
            us = us == long.MinValue ? long.MaxValue : -us;
        }
        n = Number(t, n, (ulong)us / 1000);
        uint frac = (uint)((ulong)us % 1000);
        t[n] = (byte)'.';
        t[n + 1] = (byte)('0' + frac / 100);
        t[n + 2] = Digits2[(int)(frac % 100) * 2];
        t[n + 3] = Digits2[(int)(frac % 100) * 2 + 1];
        return n + 4;
    }

    private static int Signed(Span<byte> t, int n, long v)
    {
        if (v >= 0) return Number(t, n, (ulong)v);
        t[n++] = (byte)'-';
        return Number(t, n, v == long.MinValue ? 1UL << 63 : (ulong)-v);
    }

    /// <summary>
    /// An unsigned decimal, written from its last digit back four digits per step (the two pairs of a step do not
    /// wait for each other).
    /// </summary>
    internal static int Number(Span<byte> t, int n, ulong v)
    {
        int digits = DigitCount(v);
        _ = t[n + digits - 1]; // one bounds check for all the digits below
        ref byte last = ref Unsafe.Add(ref MemoryMarshal.GetReference(t), n + digits - 1);
        ref byte pairs = ref MemoryMarshal.GetReference(Digits2);
        while (v >= 10000)
        {
            ulong q = v / 10000;
            uint four = (uint)(v - q * 10000);
            v = q;
            uint hi = four / 100, lo = four - hi * 100;
            last = Unsafe.Add(ref pairs, (int)lo * 2 + 1);
            Unsafe.Subtract(ref last, 1) = Unsafe.Add(ref pairs, (int)lo * 2);
            Unsafe.Subtract(ref last, 2) = Unsafe.Add(ref pairs, (int)hi * 2 + 1);
            Unsafe.Subtract(ref last, 3) = Unsafe.Add(ref pairs, (int)hi * 2);
            last = ref Unsafe.Subtract(ref last, 4);
        }
        uint rest = (uint)v; // 0..9999, digits left: 1 to 4
        if (rest >= 100)
        {
            uint hi = rest / 100, lo = rest - hi * 100;
            last = Unsafe.Add(ref pairs, (int)lo * 2 + 1);
            Unsafe.Subtract(ref last, 1) = Unsafe.Add(ref pairs, (int)lo * 2);
            last = ref Unsafe.Subtract(ref last, 2);
            rest = hi;
        }
        if (rest >= 10)
        {
            last = Unsafe.Add(ref pairs, (int)rest * 2 + 1);
            Unsafe.Subtract(ref last, 1) = Unsafe.Add(ref pairs, (int)rest * 2);
        }
        else
        {
            last = (byte)('0' + rest);
        }
        return n + digits;
    }

    private static ReadOnlySpan<ulong> PowersOf10 =>
    [
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000, 100000000000,
        1000000000000, 10000000000000, 100000000000000, 1000000000000000, 10000000000000000, 100000000000000000,
        1000000000000000000, 10000000000000000000,
    ];

    /// <summary>Decimal digits of <paramref name="v"/>: log10 from log2 (1233/4096 ≈ log10 2), corrected by one compare.</summary>
    private static int DigitCount(ulong v)
    {
        int guess = (BitOperations.Log2(v | 1) + 1) * 1233 >> 12; // digits of 2^bits - 1 .. one less than v may have
        return guess + ((v | 1) >= PowersOf10[guess] ? 1 : 0); // v | 1: zero has one digit
    }

    private static string SentKindName(SentFrameKind kind) => kind switch
    {
        SentFrameKind.Stream => "stream",
        SentFrameKind.Crypto => "crypto",
        SentFrameKind.ResetStream => "reset_stream",
        SentFrameKind.StopSending => "stop_sending",
        SentFrameKind.MaxData => "max_data",
        SentFrameKind.MaxStreamData => "max_stream_data",
        SentFrameKind.MaxStreams => "max_streams",
        SentFrameKind.DataBlocked => "data_blocked",
        SentFrameKind.StreamDataBlocked => "stream_data_blocked",
        SentFrameKind.StreamsBlocked => "streams_blocked",
        SentFrameKind.NewConnectionId => "new_connection_id",
        SentFrameKind.RetireConnectionId => "retire_connection_id",
        SentFrameKind.NewToken => "new_token",
        SentFrameKind.HandshakeDone => "handshake_done",
        SentFrameKind.Ping => "ping",
        SentFrameKind.Ack => "ack",
        SentFrameKind.PathChallenge => "path_challenge",
        SentFrameKind.PathResponse => "path_response",
        SentFrameKind.Datagram => "datagram",
        _ => "unknown",
    };
}
