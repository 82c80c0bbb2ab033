using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Diagnostics;

/// <summary>
/// One connection's qlog (draft-ietf-quic-qlog-main-schema-14, QUIC events -13): a JSON-SEQ file (RFC 7464:
/// each record starts with RS 0x1E and ends with a line feed) named <c>ODCID_client.sqlog</c> or
/// <c>ODCID_server.sqlog</c> — the convention of ngtcp2, quiche and quic-go — holding the header record, then
/// <c>quic:connection_started</c>, <c>quic:packet_sent</c>, <c>quic:packet_received</c>,
/// <c>quic:recovery_metrics_updated</c>, <c>quic:packet_lost</c> and <c>quic:connection_closed</c> events.
/// </summary>
/// <remarks>
/// Written on the connection's thread, gathered in a 128 KiB buffer; a failing disk turns the trace off (the
/// connection goes on). Times are milliseconds since the connection started (<c>relative_to_epoch</c>, the
/// epoch being that start). Field names are lowercase, as JSON-SEQ qlog requires.
/// </remarks>
public sealed class QlogTrace : IDisposable
{
    /// <summary>The draft version of the QUIC event schema this writes (unpublished schemas carry "-NN").</summary>
    public const string EventSchema = "urn:ietf:params:qlog:events:quic-13";

    private const byte RecordSeparator = 0x1E;
    private readonly Stream _file;
    // Pre-encoded names of the fields every event writes: no escaping check per field.
    private static readonly JsonEncodedText N_time = JsonEncodedText.Encode("time");
    private static readonly JsonEncodedText N_name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText N_data = JsonEncodedText.Encode("data");
    private static readonly JsonEncodedText N_header = JsonEncodedText.Encode("header");
    private static readonly JsonEncodedText N_packet_type = JsonEncodedText.Encode("packet_type");
    private static readonly JsonEncodedText N_packet_number = JsonEncodedText.Encode("packet_number");

    private static readonly JsonEncodedText E_connection_started = JsonEncodedText.Encode("quic:connection_started");
    private static readonly JsonEncodedText E_packet_sent = JsonEncodedText.Encode("quic:packet_sent");
    private static readonly JsonEncodedText E_packet_received = JsonEncodedText.Encode("quic:packet_received");
    private static readonly JsonEncodedText E_recovery_metrics_updated = JsonEncodedText.Encode("quic:recovery_metrics_updated");
    private static readonly JsonEncodedText E_packet_lost = JsonEncodedText.Encode("quic:packet_lost");
    private static readonly JsonEncodedText E_key_updated = JsonEncodedText.Encode("quic:key_updated");
    private static readonly JsonEncodedText E_plugin = JsonEncodedText.Encode("loglevel:info");
    private static readonly JsonEncodedText E_connection_closed = JsonEncodedText.Encode("quic:connection_closed");

    private const int FlushAt = 128 * 1024;
    private readonly ArrayBufferWriter<byte> _buffer = new(FlushAt + 4096); // records gathered, written in large pieces
    private readonly Utf8JsonWriter _json;
    private readonly long _startUs;
    private bool _failed;

    private QlogTrace(Stream file, long startUs)
    {
        _file = file;
        _startUs = startUs;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>The file name for a connection: the original Destination Connection ID in hex, and the side.</summary>
    public static string FileName(ReadOnlySpan<byte> originalDcid, bool isClient) =>
        Convert.ToHexStringLower(originalDcid) + (isClient ? "_client" : "_server") + ".sqlog";

    /// <summary>
    /// Creates the trace file in <paramref name="directory"/> (created if missing) and writes its header; null when
    /// the file cannot be created (qlog is diagnostics: it never fails a connection).
    /// </summary>
    public static QlogTrace? Open(string directory, ReadOnlySpan<byte> originalDcid, bool isClient, long nowUs)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var file = new FileStream(Path.Combine(directory, FileName(originalDcid, isClient)), FileMode.Create, FileAccess.Write,
                FileShare.Read, bufferSize: 0);
            var trace = new QlogTrace(file, nowUs);
            trace.WriteHeader(Convert.ToHexStringLower(originalDcid), isClient);
            return trace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The directory from the <c>QLOGDIR</c> environment variable, or null when unset or empty.</summary>
    public static string? DirectoryFromEnvironment() =>
        Environment.GetEnvironmentVariable("QLOGDIR") is { Length: > 0 } dir ? dir : null;

    private void WriteHeader(string group, bool isClient)
    {
        var j = Begin();
        j.WriteStartObject();
        j.WriteString("file_schema", "urn:ietf:params:qlog:file:sequential");
        j.WriteString("serialization_format", "application/qlog+json-seq");
        j.WriteString("title", "Pliant " + (isClient ? "client" : "server") + " " + group);
        j.WriteStartObject("trace");
        j.WriteStartObject("common_fields");
        j.WriteString("group_id", group);
        j.WriteString("time_format", "relative_to_epoch");
        j.WriteStartObject("reference_time");
        j.WriteString("clock_type", "system");
        j.WriteString("epoch", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        j.WriteEndObject();
        j.WriteEndObject();
        j.WriteStartObject("vantage_point");
        j.WriteString(N_name, "pliant");
        j.WriteString("type", isClient ? "client" : "server");
        j.WriteEndObject();
        j.WriteStartArray("event_schemas");
        j.WriteStringValue(EventSchema);
        j.WriteEndArray();
        j.WriteEndObject();
        j.WriteEndObject();
        End();
    }

    /// <summary>quic:connection_started.</summary>
    internal void ConnectionStarted(long nowUs, System.Net.IPEndPoint remote, uint version)
    {
        var j = Event(nowUs, E_connection_started);
        j.WriteStartObject("remote");
        j.WriteString(remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ip_v6" : "ip_v4", remote.Address.ToString());
        j.WriteNumber(remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "port_v6" : "port_v4", remote.Port);
        j.WriteEndObject();
        j.WriteString("version", version.ToString("x8", CultureInfo.InvariantCulture));
        EndEvent();
    }

    /// <summary>quic:packet_sent, with the frames the packet carries.</summary>
    internal void PacketSent(long nowUs, SentPacket packet, bool zeroRtt)
    {
        // The one event per packet of a bulk transfer: emitted as bytes directly (the JSON writer's bookkeeping
        // cost more than the packet's own processing). Same record as the writer would produce.
        Append("\u001e{\"time\":"u8);
        AppendTime(nowUs);
        Append(",\"name\":\"quic:packet_sent\",\"data\":{\"header\":{\"packet_type\":\""u8);
        Append(SentPacketType(packet.Space, zeroRtt));
        Append("\",\"packet_number\":"u8);
        AppendNumber(packet.PacketNumber);
        Append("},\"frames\":["u8);
        bool first = true;
        foreach (var f in packet.Frames)
        {
            if (!first) Append(","u8);
            first = false;
            switch (f.Kind)
            {
                case SentFrameKind.Stream:
                    Append("{\"frame_type\":\"stream\",\"stream_id\":"u8);
                    AppendNumber(f.StreamId);
                    Append(",\"offset\":"u8);
                    AppendNumber(f.Offset);
                    Append(",\"length\":"u8);
                    AppendNumber((ulong)f.Length);
                    Append(f.Fin ? ",\"fin\":true}"u8 : "}"u8);
                    break;
                case SentFrameKind.Crypto:
                    Append("{\"frame_type\":\"crypto\",\"offset\":"u8);
                    AppendNumber(f.Offset);
                    Append(",\"length\":"u8);
                    AppendNumber((ulong)f.Length);
                    Append("}"u8);
                    break;
                case SentFrameKind.Plugin:
                    Append("{\"frame_type\":\"unknown\",\"raw_frame_type\":"u8);
                    AppendNumber(f.Value);
                    Append("}"u8);
                    break;
                default:
                    Append("{\"frame_type\":\""u8);
                    Append((int)f.Kind < KindNames.Length ? KindNames[(int)f.Kind] : "unknown"u8);
                    Append("\"}"u8);
                    break;
            }
        }
        Append("],\"raw\":{\"length\":"u8);
        AppendNumber((ulong)packet.Size);
        Append("}}}"u8);
        CloseRecord();
    }

    private static readonly byte[][] PacketTypeNames =
        [.. Enum.GetValues<PacketType>().OrderBy(t => (int)t).Select(t => System.Text.Encoding.ASCII.GetBytes(PacketTypeName(t))), "unknown"u8.ToArray()];

    private static readonly byte[][] FrameNamesBelow0x20 = [.. Enumerable.Range(0, 0x20).Select(t => System.Text.Encoding.ASCII.GetBytes(FrameTypeName((ulong)t)))];

    private static ReadOnlySpan<byte> FrameTypeNameBytes(ulong type) => type switch
    {
        < 0x20 => FrameNamesBelow0x20[(int)type],
        0x30 or 0x31 => "datagram"u8,
        _ => "unknown"u8,
    };

    private static readonly byte[][] KindNames =
        [.. Enum.GetValues<SentFrameKind>().OrderBy(k => (int)k).Select(k => System.Text.Encoding.ASCII.GetBytes(SentKindName(k)))];

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    private void AppendNumber(ulong value)
    {
        var span = _buffer.GetSpan(20);
        System.Buffers.Text.Utf8Formatter.TryFormat(value, span, out int n);
        _buffer.Advance(n);
    }

    /// <summary>Milliseconds since the start with three decimals.</summary>
    private int FormatTime(long nowUs, Span<byte> time)
    {
        long us = Math.Max(0, nowUs - _startUs);
        System.Buffers.Text.Utf8Formatter.TryFormat(us / 1000, time, out int n);
        time[n++] = (byte)'.';
        long frac = us % 1000;
        time[n++] = (byte)('0' + frac / 100);
        time[n++] = (byte)('0' + frac / 10 % 10);
        time[n++] = (byte)('0' + frac % 10);
        return n;
    }

    private void AppendTime(long nowUs)
    {
        var span = _buffer.GetSpan(24);
        _buffer.Advance(FormatTime(nowUs, span));
    }

    /// <summary>quic:packet_received, with the types of the frames it carried.</summary>
    internal void PacketReceived(long nowUs, PacketType type, ulong packetNumber, int length, List<ulong> frameTypes)
    {
        // One per packet of a bulk transfer on the receiving side: bytes emitted directly, like packet_sent.
        Append("\u001e{\"time\":"u8);
        AppendTime(nowUs);
        Append(",\"name\":\"quic:packet_received\",\"data\":{\"header\":{\"packet_type\":\""u8);
        Append(PacketTypeNames[(int)type < PacketTypeNames.Length ? (int)type : PacketTypeNames.Length - 1]);
        Append("\",\"packet_number\":"u8);
        AppendNumber(packetNumber);
        Append("},\"frames\":["u8);
        for (int i = 0; i < frameTypes.Count; i++)
        {
            Append(i == 0 ? "{\"frame_type\":\""u8 : ",{\"frame_type\":\""u8);
            Append(FrameTypeNameBytes(frameTypes[i]));
            Append("\"}"u8);
        }
        Append("],\"raw\":{\"length\":"u8);
        AppendNumber((ulong)length);
        Append("}}}"u8);
        CloseRecord();
    }

    /// <summary>quic:recovery_metrics_updated (RTTs in milliseconds, as the schema asks).</summary>
    internal void MetricsUpdated(long nowUs, RttEstimator rtt, ICongestionController cc, int ptoCount)
    {
        var j = Event(nowUs, E_recovery_metrics_updated);
        j.WriteNumber("min_rtt", Math.Max(0, rtt.MinRtt) / 1000.0);
        j.WriteNumber("smoothed_rtt", rtt.SmoothedRtt / 1000.0);
        j.WriteNumber("latest_rtt", rtt.LatestRtt / 1000.0);
        j.WriteNumber("rtt_variance", rtt.RttVar / 1000.0);
        j.WriteNumber("pto_count", ptoCount);
        j.WriteNumber("congestion_window", cc.Window);
        j.WriteNumber("bytes_in_flight", cc.BytesInFlight);
        EndEvent();
    }

    /// <summary>quic:packet_lost.</summary>
    internal void PacketLost(long nowUs, SentPacket packet)
    {
        var j = Event(nowUs, E_packet_lost);
        Header(j, packet.Space, zeroRtt: false, packet.PacketNumber);
        EndEvent();
    }

    /// <summary>
    /// quic:key_updated for a 1-RTT key update (RFC 9001 §6): the side's secret, the new key phase (the full
    /// generation count; the header bit is its lowest bit), and who started it.
    /// </summary>
    internal void KeyUpdated(long nowUs, bool clientSecret, long keyPhase, bool local)
    {
        var j = Event(nowUs, E_key_updated);
        j.WriteString("key_type", clientSecret ? "client_1rtt_secret" : "server_1rtt_secret");
        j.WriteNumber("key_phase", keyPhase);
        j.WriteString("trigger", local ? "local_update" : "remote_update");
        EndEvent();
    }

    /// <summary>
    /// A plugin event (attached, detached, faulted, refused…), as a generic <c>loglevel:info</c> event of the main
    /// schema with the plugin and the message: qlog has no plugin events.
    /// </summary>
    internal void PluginEvent(long nowUs, string pluginId, string message)
    {
        var j = Event(nowUs, E_plugin);
        j.WriteString("message", $"plugin {pluginId}: {message}");
        EndEvent();
    }

    /// <summary>quic:connection_closed.</summary>
    internal void ConnectionClosed(long nowUs, bool local, ulong code, bool application, string reason)
    {
        var j = Event(nowUs, E_connection_closed);
        j.WriteString("owner", local ? "local" : "remote");
        j.WriteNumber(application ? "application_code" : "connection_code", code);
        j.WriteString("reason", reason);
        EndEvent();
        // What follows (the closing period) is short; a connection whose endpoint stops before it ends is never
        // finished, so the trace is made durable here.
        Flush();
    }

    private void Flush()
    {
        WriteOut();
        if (_failed) return;
        try
        {
            _file.Flush();
        }
        catch (IOException)
        {
            _failed = true;
        }
    }

    /// <summary>The qlog packet_type of a packet we sent, from its number space (0-RTT shares the application space).</summary>
    private static ReadOnlySpan<byte> SentPacketType(PacketSpace space, bool zeroRtt) => space switch
    {
        PacketSpace.Initial => "initial"u8,
        PacketSpace.Handshake => "handshake"u8,
        _ => zeroRtt ? "0RTT"u8 : "1RTT"u8,
    };

    private static void Header(Utf8JsonWriter j, PacketSpace space, bool zeroRtt, ulong packetNumber)
    {
        j.WriteStartObject(N_header);
        j.WriteString(N_packet_type, SentPacketType(space, zeroRtt));
        j.WriteNumber(N_packet_number, packetNumber);
        j.WriteEndObject();
    }

    private static string SentKindName(SentFrameKind kind) => kind switch
    {
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

    /// <summary>The qlog name of a frame type value (RFC 9000 §19, RFC 9221), "unknown" for others.</summary>
    internal static string FrameTypeName(ulong type) => type switch
    {
        0x00 => "padding",
        0x01 => "ping",
        0x02 or 0x03 => "ack",
        0x04 => "reset_stream",
        0x05 => "stop_sending",
        0x06 => "crypto",
        0x07 => "new_token",
        >= 0x08 and <= 0x0f => "stream",
        0x10 => "max_data",
        0x11 => "max_stream_data",
        0x12 or 0x13 => "max_streams",
        0x14 => "data_blocked",
        0x15 => "stream_data_blocked",
        0x16 or 0x17 => "streams_blocked",
        0x18 => "new_connection_id",
        0x19 => "retire_connection_id",
        0x1a => "path_challenge",
        0x1b => "path_response",
        0x1c or 0x1d => "connection_close",
        0x1e => "handshake_done",
        0x30 or 0x31 => "datagram",
        _ => "unknown",
    };

    private static string PacketTypeName(PacketType type) => type switch
    {
        PacketType.Initial => "initial",
        PacketType.Handshake => "handshake",
        PacketType.ZeroRtt => "0RTT",
        PacketType.OneRtt => "1RTT",
        PacketType.Retry => "retry",
        _ => "unknown",
    };

    private Utf8JsonWriter Begin()
    {
        var rs = _buffer.GetSpan(1);
        rs[0] = RecordSeparator; // RFC 7464
        _buffer.Advance(1);
        _json.Reset(_buffer);
        return _json;
    }

    private Utf8JsonWriter Event(long nowUs, JsonEncodedText name)
    {
        var j = Begin();
        j.WriteStartObject();
        // Milliseconds with three decimals, formatted here: the shortest-round-trip double formatting cost more
        // than the rest of a packet event.
        Span<byte> time = stackalloc byte[24];
        int n = FormatTime(nowUs, time);
        j.WritePropertyName(N_time);
        j.WriteRawValue(time[..n], skipInputValidation: true);
        j.WriteString(N_name, name);
        j.WriteStartObject(N_data);
        return j;
    }

    private void EndEvent()
    {
        _json.WriteEndObject(); // data
        _json.WriteEndObject();
        End();
    }

    private void End()
    {
        _json.Flush();
        CloseRecord();
    }

    /// <summary>RFC 7464: a record ends with a line feed; a full buffer goes to the file.</summary>
    private void CloseRecord()
    {
        Append("\n"u8);
        if (_buffer.WrittenCount >= FlushAt) WriteOut();
    }

    private void WriteOut()
    {
        if (!_failed)
        {
            try
            {
                _file.Write(_buffer.WrittenSpan);
            }
            catch (IOException)
            {
                _failed = true; // a full disk: the trace stops, the connection does not
            }
        }
        _buffer.ResetWrittenCount();
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        WriteOut();
        try
        {
            _file.Dispose();
        }
        catch (IOException)
        {
        }
        _json.Dispose();
    }
}
