using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;
using static Pliant.Quic.Diagnostics.QlogRecord;

namespace Pliant.Quic.Diagnostics;

/// <summary>
/// One connection's qlog (draft-ietf-quic-qlog-main-schema-14, QUIC events -13): a JSON-SEQ file (RFC 7464:
/// each record starts with RS 0x1E and ends with a line feed) named <c>ODCID_client.sqlog</c> or
/// <c>ODCID_server.sqlog</c> — the convention of ngtcp2, quiche and quic-go — holding the header record, then
/// <c>quic:connection_started</c>, <c>quic:packet_sent</c>, <c>quic:packet_received</c>,
/// <c>quic:recovery_metrics_updated</c>, <c>quic:packet_lost</c>, <c>quic:key_updated</c> and
/// <c>quic:connection_closed</c> events. With <see cref="QlogFormat.Binary"/> the file is <c>ODCID_side.pqlog</c>
/// instead: the same records unformatted (<see cref="QlogBinaryFile"/>, which converts it to the same text).
/// </summary>
/// <remarks>
/// <para>The connection's thread only appends compact binary records (<see cref="QlogRecord"/>: no formatting, no
/// allocation per packet event) to a block it hands to the process's writer thread (<see cref="QlogWriter"/>) when
/// full, when the connection closes and when the trace ends; that thread formats the JSON text and writes the file.
/// When the writer is too far behind (<see cref="QlogWriter"/> states the bounds) a full block's events are dropped
/// and counted, and the next block starts with a <c>loglevel:warning</c> record giving the count so far. A failing
/// disk turns the trace off; the connection goes on.</para>
/// <para>Times are milliseconds since the connection started (<c>relative_to_epoch</c>, the epoch being that start).
/// Field names are lowercase, as JSON-SEQ qlog requires. A closed connection's trace is in its file once the writer
/// caught up: <see cref="WaitForWriter"/> waits for that, and a normal process exit does.</para>
/// </remarks>
public sealed class QlogTrace : IDisposable
{
    /// <summary>The draft version of the QUIC event schema this writes (unpublished schemas carry "-NN").</summary>
    public const string EventSchema = "urn:ietf:params:qlog:events:quic-13";

    private const byte RecordSeparator = 0x1E;
    private static readonly JsonEncodedText N_time = JsonEncodedText.Encode("time");
    private static readonly JsonEncodedText N_name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText N_data = JsonEncodedText.Encode("data");

    private readonly QlogFile _file;
    private readonly long _startUs;
    private byte[]? _block;
    private int _pos;
    private int _records; // in the current block
    private long _dropped; // events dropped so far
    private bool _reportDrops; // the current block should start with a Dropped record
    private long _lastTimeUs;
    private ArrayBufferWriter<byte>? _text; // rare events' JSON, made with the writer below
    private Utf8JsonWriter? _json;
    private bool _disposed;
    private bool _handedOver; // a block was handed over (or dropped): later blocks are full-size

    private QlogTrace(QlogFile file, long startUs)
    {
        _file = file;
        _startUs = startUs;
    }

    /// <summary>Events dropped because the writer thread fell behind (each block that could not be handed over).</summary>
    internal long DroppedEvents => _dropped;

    /// <summary>The file name for a connection: the original Destination Connection ID in hex, and the side.</summary>
    public static string FileName(ReadOnlySpan<byte> originalDcid, bool isClient) => FileName(originalDcid, isClient, QlogFormat.JsonSeq);

    /// <summary>
    /// The file name for a connection in <paramref name="format"/>: the original Destination Connection ID in hex, the
    /// side, and <c>.sqlog</c> (JSON-SEQ) or <c>.pqlog</c> (<see cref="QlogBinaryFile"/>).
    /// </summary>
    public static string FileName(ReadOnlySpan<byte> originalDcid, bool isClient, QlogFormat format) =>
        FileName(originalDcid, isClient ? QlogVantage.Client : QlogVantage.Server, format);

    internal static string FileName(ReadOnlySpan<byte> originalDcid, QlogVantage vantage, QlogFormat format) =>
        Convert.ToHexStringLower(originalDcid) + vantage switch { QlogVantage.Client => "_client", QlogVantage.Server => "_server", _ => "_router" } +
        (format == QlogFormat.Binary ? QlogBinaryFile.Extension : ".sqlog");

    /// <summary>
    /// Creates the JSON-SEQ trace file in <paramref name="directory"/> (created if missing) and writes its header; null
    /// when the file cannot be created (qlog is diagnostics: it never fails a connection).
    /// </summary>
    public static QlogTrace? Open(string directory, ReadOnlySpan<byte> originalDcid, bool isClient, long nowUs) =>
        Open(directory, originalDcid, isClient, nowUs, QlogFormat.JsonSeq);

    /// <summary>
    /// Creates the trace file in <paramref name="format"/> in <paramref name="directory"/> (created if missing) and
    /// writes its header; null when the file cannot be created (qlog is diagnostics: it never fails a connection).
    /// </summary>
    public static QlogTrace? Open(string directory, ReadOnlySpan<byte> originalDcid, bool isClient, long nowUs, QlogFormat format) =>
        Open(directory, originalDcid, isClient ? QlogVantage.Client : QlogVantage.Server, nowUs, format, DateTime.UtcNow);

    /// <summary>A trace of <paramref name="vantage"/>'s view (a router's: <c>ODCID_router.sqlog</c>, vantage point "network").</summary>
    internal static QlogTrace? Open(string directory, ReadOnlySpan<byte> originalDcid, QlogVantage vantage, long nowUs, QlogFormat format) =>
        Open(directory, originalDcid, vantage, nowUs, format, DateTime.UtcNow);

    internal static QlogTrace? Open(string directory, ReadOnlySpan<byte> originalDcid, bool isClient, long nowUs, QlogFormat format, DateTime epoch) =>
        Open(directory, originalDcid, isClient ? QlogVantage.Client : QlogVantage.Server, nowUs, format, epoch);

    /// <summary><see cref="Open(string, ReadOnlySpan{byte}, bool, long, QlogFormat)"/> with the trace's reference time given (tests).</summary>
    private static QlogTrace? Open(string directory, ReadOnlySpan<byte> originalDcid, QlogVantage vantage, long nowUs, QlogFormat format, DateTime epoch)
    {
        SafeFileHandle? handle = null;
        try
        {
            Directory.CreateDirectory(directory);
            handle = File.OpenHandle(Path.Combine(directory, FileName(originalDcid, vantage, format)), FileMode.Create,
                FileAccess.Write, FileShare.Read);
            var file = new QlogFile(handle, binary: format == QlogFormat.Binary);
            var trace = new QlogTrace(file, nowUs);
            if (file.Binary)
            {
                // Before any block exists: the writer thread takes over the file's offset after this.
                file.Write(QlogBinaryFile.Header(originalDcid, vantage, epoch));
            }
            else
            {
                WriteHeader(trace.BeginText(), Convert.ToHexStringLower(originalDcid), vantage, epoch);
                trace.EndText();
            }
            return trace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            handle?.Dispose();
            return null;
        }
    }

    /// <summary>The directory from the <c>QLOGDIR</c> environment variable, or null when unset or empty.</summary>
    public static string? DirectoryFromEnvironment() =>
        Environment.GetEnvironmentVariable("QLOGDIR") is { Length: > 0 } dir ? dir : null;

    /// <summary>
    /// The format from the <c>QLOGFORMAT</c> environment variable (<c>json</c> or <c>binary</c>, see
    /// <see cref="TryParseFormat"/>); JSON-SEQ when unset, empty or anything else.
    /// </summary>
    public static QlogFormat FormatFromEnvironment() =>
        TryParseFormat(Environment.GetEnvironmentVariable("QLOGFORMAT"), out var format) ? format : QlogFormat.JsonSeq;

    /// <summary>
    /// A format by name, case-insensitive: <c>json</c> (or <c>json-seq</c>, <c>sqlog</c>) for JSON-SEQ, <c>binary</c>
    /// (or <c>pqlog</c>) for <see cref="QlogFormat.Binary"/>; false for anything else.
    /// </summary>
    public static bool TryParseFormat(string? name, out QlogFormat format)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "json" or "json-seq" or "sqlog":
                format = QlogFormat.JsonSeq;
                return true;
            case "binary" or "pqlog":
                format = QlogFormat.Binary;
                return true;
            default:
                format = QlogFormat.JsonSeq;
                return false;
        }
    }

    /// <summary>
    /// Waits until the qlog writer thread has written everything handed to it so far — the whole trace of every
    /// connection that closed — or <paramref name="timeout"/> passes; false on timeout. A normal process exit waits
    /// for it by itself (up to 10 s).
    /// </summary>
    public static bool WaitForWriter(TimeSpan timeout) => QlogWriter.Drain(timeout);

    /// <summary>
    /// The header record's JSON (main schema §5, JSON-SEQ): the same for a JSON-SEQ trace and for a binary one
    /// converted (<see cref="QlogBinaryFile"/>), given the same reference time.
    /// </summary>
    internal static void WriteHeader(Utf8JsonWriter j, string group, QlogVantage vantage, DateTime epoch)
    {
        string side = vantage switch { QlogVantage.Client => "client", QlogVantage.Server => "server", _ => "router" };
        j.WriteStartObject();
        j.WriteString("file_schema", "urn:ietf:params:qlog:file:sequential");
        j.WriteString("serialization_format", "application/qlog+json-seq");
        j.WriteString("title", "Pliant " + side + " " + group);
        j.WriteStartObject("trace");
        j.WriteStartObject("common_fields");
        j.WriteString("group_id", group);
        j.WriteString("time_format", "relative_to_epoch");
        j.WriteStartObject("reference_time");
        j.WriteString("clock_type", "system");
        j.WriteString("epoch", epoch.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        j.WriteEndObject();
        j.WriteEndObject();
        j.WriteStartObject("vantage_point");
        j.WriteString(N_name, "pliant");
        j.WriteString("type", vantage == QlogVantage.Network ? "network" : side);
        j.WriteEndObject();
        j.WriteStartArray("event_schemas");
        j.WriteStringValue(EventSchema);
        j.WriteEndArray();
        j.WriteEndObject();
        j.WriteEndObject();
    }

    /// <summary>quic:connection_started.</summary>
    internal void ConnectionStarted(long nowUs, System.Net.IPEndPoint remote, uint version)
    {
        var j = BeginEvent(nowUs, "quic:connection_started");
        if (j is null) return;
        bool v6 = remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        j.WriteStartObject("remote");
        j.WriteString(v6 ? "ip_v6" : "ip_v4", remote.Address.ToString());
        j.WriteNumber(v6 ? "port_v6" : "port_v4", remote.Port);
        j.WriteEndObject();
        j.WriteString("version", version.ToString("x8", CultureInfo.InvariantCulture));
        EndEvent();
    }

    /// <summary>
    /// quic:packet_sent, with the frames the packet carries; on a multipath connection <paramref name="pathId"/> is
    /// the packet's path, the event's <c>tuple</c>.
    /// </summary>
    internal void PacketSent(long nowUs, SentPacket packet, bool zeroRtt, long pathId = NoPath)
    {
        var b = Reserve(SentSize(packet));
        if (!b.IsEmpty) Commit(WriteSent(b, Time(nowUs), packet, zeroRtt, pathId));
    }

    /// <summary>quic:packet_received, with the types of the frames it carried (and its path, as for sent packets).</summary>
    internal void PacketReceived(long nowUs, PacketType type, ulong packetNumber, int length, List<ulong> frameTypes, long pathId = NoPath)
    {
        var b = Reserve(ReceivedSize(frameTypes.Count));
        if (!b.IsEmpty) Commit(WriteReceived(b, Time(nowUs), type, packetNumber, length, frameTypes, pathId));
    }

    /// <summary>quic:recovery_metrics_updated (RTTs in milliseconds, as the schema asks).</summary>
    internal void MetricsUpdated(long nowUs, RttEstimator rtt, ICongestionController cc, int ptoCount)
    {
        var b = Reserve(MetricsSize);
        if (!b.IsEmpty) Commit(WriteMetrics(b, Time(nowUs), rtt, cc, ptoCount));
    }

    /// <summary>quic:packet_lost (with its path on a multipath connection).</summary>
    internal void PacketLost(long nowUs, SentPacket packet, long pathId = NoPath)
    {
        var b = Reserve(LostSize + PathIdSize);
        if (!b.IsEmpty) Commit(WriteLost(b, Time(nowUs), packet, pathId));
    }

    /// <summary>
    /// quic:congestion_state_updated: the controller of the connection (or of path <paramref name="pathId"/>) went
    /// from <paramref name="oldState"/> to <paramref name="newState"/> (<see cref="QlogRecord.CongestionStateCode"/>).
    /// </summary>
    internal void CongestionStateUpdated(long nowUs, byte oldState, byte newState, long pathId = NoPath)
    {
        var b = Reserve(CongestionStateSize + PathIdSize);
        if (!b.IsEmpty) Commit(WriteCongestionState(b, Time(nowUs), oldState, newState, pathId));
    }

    /// <summary>
    /// quic:tuple_assigned (quic-events-13 §4.7) for a multipath path: its tuple ID is the path ID, with the
    /// addresses it uses; with neither address, the path was abandoned (the event's own convention).
    /// </summary>
    internal void TupleAssigned(long nowUs, ulong pathId, System.Net.IPEndPoint? remote, System.Net.IPEndPoint? local)
    {
        var j = BeginEvent(nowUs, "quic:tuple_assigned");
        if (j is null) return;
        j.WriteString("tuple_id", pathId.ToString(CultureInfo.InvariantCulture));
        if (remote is not null) WriteEndpoint(j, "tuple_remote", remote);
        if (local is not null && !local.Address.Equals(System.Net.IPAddress.Any) && !local.Address.Equals(System.Net.IPAddress.IPv6Any))
            WriteEndpoint(j, "tuple_local", local);
        EndEvent();
    }

    /// <summary>
    /// <c>pliant:path_updated</c>: a multipath path (draft-ietf-quic-multipath-21) opened, was validated or was
    /// abandoned (with the error code PATH_ABANDON carried). qlog's QUIC events have no multipath events; this one is
    /// Pliant's (docs/qlog.md).
    /// </summary>
    internal void PathUpdated(long nowUs, ulong pathId, string state, ulong? errorCode = null)
    {
        var j = BeginEvent(nowUs, "pliant:path_updated");
        if (j is null) return;
        j.WriteNumber("path_id", pathId);
        j.WriteString("tuple_id", pathId.ToString(CultureInfo.InvariantCulture));
        j.WriteString("state", state);
        if (errorCode is ulong code) j.WriteNumber("error_code", code);
        EndEvent();
    }

    /// <summary>
    /// quic:mtu_updated (quic-events-13 §5.6): path MTU discovery (RFC 9000 §14.3) changed the datagram size of the
    /// connection, or of path <paramref name="pathId"/> (as <c>tuple</c>, like the packet events); <paramref name="done"/>
    /// once the search has ended.
    /// </summary>
    internal void MtuUpdated(long nowUs, int old, int updated, bool done, long pathId = NoPath)
    {
        var j = BeginEvent(nowUs, "quic:mtu_updated");
        if (j is null) return;
        j.WriteNumber("old", old);
        j.WriteNumber("new", updated);
        j.WriteBoolean("done", done);
        if (pathId != NoPath) j.WriteString("tuple", pathId.ToString(CultureInfo.InvariantCulture));
        EndEvent();
    }

    private static void WriteEndpoint(Utf8JsonWriter j, string name, System.Net.IPEndPoint endpoint)
    {
        var address = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
        bool v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        j.WriteStartObject(name);
        j.WriteString(v6 ? "ip_v6" : "ip_v4", address.ToString());
        j.WriteNumber(v6 ? "port_v6" : "port_v4", endpoint.Port);
        j.WriteEndObject();
    }

    /// <summary>
    /// quic:key_updated for a 1-RTT key update (RFC 9001 §6): the side's secret, the new key phase (the full
    /// generation count; the header bit is its lowest bit), and who started it.
    /// </summary>
    internal void KeyUpdated(long nowUs, bool clientSecret, long keyPhase, bool local)
    {
        var j = BeginEvent(nowUs, "quic:key_updated");
        if (j is null) return;
        j.WriteString("key_type", clientSecret ? "client_1rtt_secret" : "server_1rtt_secret");
        j.WriteNumber("key_phase", keyPhase);
        j.WriteString("trigger", local ? "local_update" : "remote_update");
        EndEvent();
    }

    /// <summary>
    /// A router's quic:packet_received for a client's Initial (vantage point "network"): the long header's fields
    /// the router reads (the packet number is protected), and the datagram's length.
    /// </summary>
    internal void InitialSeen(long nowUs, uint version, ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> scid, int tokenLength, int datagramLength)
    {
        var j = BeginEvent(nowUs, "quic:packet_received");
        if (j is null) return;
        j.WriteStartObject("header");
        j.WriteString("packet_type", "initial");
        j.WriteString("version", version.ToString("x8", CultureInfo.InvariantCulture));
        j.WriteNumber("scil", scid.Length);
        j.WriteNumber("dcil", dcid.Length);
        j.WriteString("scid", Convert.ToHexStringLower(scid));
        j.WriteString("dcid", Convert.ToHexStringLower(dcid));
        if (tokenLength > 0)
        {
            j.WriteStartObject("token");
            j.WriteStartObject("raw");
            j.WriteNumber("length", tokenLength);
            j.WriteEndObject();
            j.WriteEndObject();
        }
        j.WriteEndObject();
        j.WriteStartObject("raw");
        j.WriteNumber("length", datagramLength);
        j.WriteEndObject();
        EndEvent();
    }

    /// <summary>
    /// A router's <c>pliant:route_decided</c> (qlog has no routing events; docs/qlog.md): the client, and either the
    /// backend with the rule that chose it (and the server name and ALPN it chose by), or why the flight was dropped.
    /// </summary>
    internal void RouteDecided(long nowUs, System.Net.IPEndPoint client, string? backend, System.Net.IPEndPoint? backendAddress, string rule,
        string? serverName, IReadOnlyList<string>? alpn, string? dropReason)
    {
        var j = BeginEvent(nowUs, "pliant:route_decided");
        if (j is null) return;
        WriteEndpoint(j, "client", client);
        if (backend is not null) j.WriteString("backend", backend);
        if (backendAddress is not null) WriteEndpoint(j, "backend_address", backendAddress);
        j.WriteString("rule", rule);
        if (serverName is not null) j.WriteString("server_name", serverName);
        if (alpn is not null)
        {
            j.WriteStartArray("alpn");
            foreach (var p in alpn) j.WriteStringValue(p);
            j.WriteEndArray();
        }
        if (dropReason is not null) j.WriteString("drop_reason", dropReason);
        EndEvent();
    }

    /// <summary>
    /// quic:key_discarded: keys of <paramref name="keyType"/> (a $KeyType, e.g. <c>client_handshake_secret</c>)
    /// were dropped — the Initial and Handshake keys once their space is done (RFC 9001 §4.9, trigger <c>tls</c>),
    /// the previous 1-RTT generation about three PTOs after a key update (RFC 9001 §6.5, with its key phase).
    /// </summary>
    internal void KeyDiscarded(long nowUs, string keyType, long? keyPhase, string? trigger)
    {
        var j = BeginEvent(nowUs, "quic:key_discarded");
        if (j is null) return;
        j.WriteString("key_type", keyType);
        if (keyPhase is long phase) j.WriteNumber("key_phase", phase);
        if (trigger is not null) j.WriteString("trigger", trigger);
        EndEvent();
    }

    /// <summary>
    /// A plugin event (attached, detached, faulted, refused…), as a generic <c>loglevel:info</c> event of the main
    /// schema with the plugin and the message: qlog has no plugin events.
    /// </summary>
    internal void PluginEvent(long nowUs, string pluginId, string message)
    {
        var j = BeginEvent(nowUs, "loglevel:info");
        if (j is null) return;
        j.WriteString("message", $"plugin {pluginId}: {message}");
        EndEvent();
    }

    /// <summary>quic:connection_closed; what was recorded so far goes to the writer now.</summary>
    internal void ConnectionClosed(long nowUs, bool local, ulong code, bool application, string reason)
    {
        var j = BeginEvent(nowUs, "quic:connection_closed");
        if (j is null) return;
        j.WriteString("owner", local ? "local" : "remote");
        j.WriteNumber(application ? "application_code" : "connection_code", code);
        j.WriteString("reason", reason);
        EndEvent();
        // What follows (the closing period) is short; a connection whose endpoint stops before it ends is never
        // finished, so the trace so far is handed over here.
        HandOver(last: true);
    }

    /// <summary>Milliseconds are formatted by the writer; the record keeps microseconds since the start, never going back.</summary>
    private long Time(long nowUs)
    {
        long t = Math.Max(_lastTimeUs, nowUs - _startUs);
        _lastTimeUs = t;
        return t;
    }

    /// <summary>
    /// Room for a record of up to <paramref name="size"/> bytes in the current block (handing the full one over
    /// first); empty when the trace is off.
    /// </summary>
    private Span<byte> Reserve(int size)
    {
        if (_disposed || _file.Failed) return default;
        if (_block is null || _pos + size + (_reportDrops ? DroppedSize : 0) > _block.Length)
        {
            HandOver(); // the block is given away, or its events dropped and the block kept
            int need = size + DroppedSize;
            if (_block is not null && _block.Length < need)
            {
                QlogWriter.ReturnBlock(_block); // a record larger than a block: a block of its own
                _block = null;
            }
            _block ??= QlogWriter.RentBlock(need, first: !_handedOver);
        }
        if (_reportDrops)
        {
            _reportDrops = false;
            _pos += WriteDropped(_block.AsSpan(_pos), _lastTimeUs, _dropped); // not an event: not counted if dropped
        }
        return _block.AsSpan(_pos, size);
    }

    private void Commit(int size)
    {
        _pos += size;
        _records++;
    }

    /// <summary>
    /// Gives the current block to the writer and starts the next one; when the writer is too far behind, the
    /// block's events are dropped (counted) and the block is reused.
    /// </summary>
    private void HandOver(bool last = false)
    {
        if (_block is null || _pos == 0) return;
        _handedOver = true;
        if (QlogWriter.TryWrite(_file, _block, _pos, last))
        {
            _block = null;
        }
        else
        {
            _dropped += _records;
            _reportDrops = true;
        }
        _pos = 0;
        _records = 0;
    }

    private Utf8JsonWriter BeginText()
    {
        _text ??= new ArrayBufferWriter<byte>(1024);
        _text.ResetWrittenCount();
        var rs = _text.GetSpan(1);
        rs[0] = RecordSeparator; // RFC 7464
        _text.Advance(1);
        if (_json is null) _json = new Utf8JsonWriter(_text, new JsonWriterOptions { SkipValidation = true });
        else _json.Reset(_text);
        return _json;
    }

    /// <summary>The record made since <see cref="BeginText"/>, ended with LF (RFC 7464), as a raw record.</summary>
    private void EndText()
    {
        _json!.Flush();
        var lf = _text!.GetSpan(1);
        lf[0] = (byte)'\n';
        _text.Advance(1);
        var text = _text.WrittenSpan;
        var b = Reserve(RawHeaderSize + text.Length);
        if (!b.IsEmpty) Commit(WriteRaw(b, text));
    }

    /// <summary>A rare event's JSON writer, positioned inside <c>data</c>; null when the trace is off.</summary>
    private Utf8JsonWriter? BeginEvent(long nowUs, string name)
    {
        if (_disposed || _file.Failed) return null;
        var j = BeginText();
        j.WriteStartObject();
        Span<byte> time = stackalloc byte[32];
        int n = QlogFormatter.Millis(time, 0, Time(nowUs));
        j.WritePropertyName(N_time);
        j.WriteRawValue(time[..n], skipInputValidation: true);
        j.WriteString(N_name, name);
        j.WriteStartObject(N_data);
        return j;
    }

    private void EndEvent()
    {
        _json!.WriteEndObject(); // data
        _json.WriteEndObject();
        EndText();
    }

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

    /// <summary>Hands what is left to the writer, which then closes the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        HandOver(last: true);
        _disposed = true;
        if (_block is not null) QlogWriter.ReturnBlock(_block);
        _block = null;
        QlogWriter.Close(_file);
        _json?.Dispose();
    }
}
