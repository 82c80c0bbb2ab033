using System.Buffers.Binary;
using System.Net;

namespace Pliant.Quic.Wire;

/// <summary>
/// QUIC transport parameters (RFC 9000 §7.4, §18), plus max_datagram_frame_size (RFC 9221 §3),
/// version_information (RFC 9368 §5) and initial_max_path_id (draft-ietf-quic-multipath-21 §2.1). Absent integer parameters hold their RFC defaults; parameters
/// with no default are null. Unknown parameters are kept in <see cref="Unknown"/> and re-encoded.
/// </summary>
public sealed class TransportParameters
{
    /// <summary>Default max_udp_payload_size (RFC 9000 §18.2).</summary>
    public const ulong DefaultMaxUdpPayloadSize = 65527;
    /// <summary>Default ack_delay_exponent (RFC 9000 §18.2).</summary>
    public const ulong DefaultAckDelayExponent = 3;
    /// <summary>Default max_ack_delay in milliseconds (RFC 9000 §18.2).</summary>
    public const ulong DefaultMaxAckDelayMs = 25;
    /// <summary>Default active_connection_id_limit (RFC 9000 §18.2).</summary>
    public const ulong DefaultActiveConnectionIdLimit = 2;

    /// <summary>original_destination_connection_id (0x00, server only).</summary>
    public ConnectionId? OriginalDestinationConnectionId { get; set; }

    /// <summary>max_idle_timeout (0x01) in milliseconds; 0 = no idle timeout.</summary>
    public ulong MaxIdleTimeoutMs { get; set; }

    /// <summary>stateless_reset_token (0x02, server only): 16 bytes.</summary>
    public byte[]? StatelessResetToken { get; set; }

    /// <summary>max_udp_payload_size (0x03); at least 1200.</summary>
    public ulong MaxUdpPayloadSize { get; set; } = DefaultMaxUdpPayloadSize;

    /// <summary>initial_max_data (0x04).</summary>
    public ulong InitialMaxData { get; set; }

    /// <summary>initial_max_stream_data_bidi_local (0x05).</summary>
    public ulong InitialMaxStreamDataBidiLocal { get; set; }

    /// <summary>initial_max_stream_data_bidi_remote (0x06).</summary>
    public ulong InitialMaxStreamDataBidiRemote { get; set; }

    /// <summary>initial_max_stream_data_uni (0x07).</summary>
    public ulong InitialMaxStreamDataUni { get; set; }

    /// <summary>initial_max_streams_bidi (0x08); at most 2^60.</summary>
    public ulong InitialMaxStreamsBidi { get; set; }

    /// <summary>initial_max_streams_uni (0x09); at most 2^60.</summary>
    public ulong InitialMaxStreamsUni { get; set; }

    /// <summary>ack_delay_exponent (0x0a); at most 20.</summary>
    public ulong AckDelayExponent { get; set; } = DefaultAckDelayExponent;

    /// <summary>max_ack_delay (0x0b) in milliseconds; below 2^14.</summary>
    public ulong MaxAckDelayMs { get; set; } = DefaultMaxAckDelayMs;

    /// <summary>disable_active_migration (0x0c).</summary>
    public bool DisableActiveMigration { get; set; }

    /// <summary>preferred_address (0x0d, server only).</summary>
    public PreferredAddress? PreferredAddress { get; set; }

    /// <summary>active_connection_id_limit (0x0e); at least 2.</summary>
    public ulong ActiveConnectionIdLimit { get; set; } = DefaultActiveConnectionIdLimit;

    /// <summary>initial_source_connection_id (0x0f).</summary>
    public ConnectionId? InitialSourceConnectionId { get; set; }

    /// <summary>retry_source_connection_id (0x10, server only).</summary>
    public ConnectionId? RetrySourceConnectionId { get; set; }

    /// <summary>version_information (0x11, RFC 9368).</summary>
    public VersionInformation? VersionInformation { get; set; }

    /// <summary>Write <see cref="VersionInformation"/> under the draft id 0xff73db as well (interoperability).</summary>
    public bool VersionInformationDraftId { get; set; }

    /// <summary>max_datagram_frame_size (0x20, RFC 9221); null = DATAGRAM not supported.</summary>
    public ulong? MaxDatagramFrameSize { get; set; }

    /// <summary>
    /// initial_max_path_id (0x3e, draft-ietf-quic-multipath-21 §2.1): the largest path ID the sender
    /// accepts at connection start; null = the sender does not support multipath. Values above 2^32-1
    /// are rejected on decode (TRANSPORT_PARAMETER_ERROR). Not to be remembered for 0-RTT (§2.1).
    /// See <see cref="MultipathParameters"/> for the checks that need the connection's context.
    /// </summary>
    public uint? InitialMaxPathId { get; set; }

    /// <summary>Parameters this class does not know (not reserved ones), kept for plugins and re-encoded.</summary>
    public List<(ulong Id, byte[] Value)> Unknown { get; } = [];

    /// <summary>True for reserved ids of the form 31 * N + 27 (RFC 9000 §18.1).</summary>
    public static bool IsReservedId(ulong id) => id >= 27 && (id - 27) % 31 == 0;

    /// <summary>Encodes the parameters (RFC 9000 §18); defaults are omitted.</summary>
    public byte[] Encode()
    {
        var w = new TransportParameterWriter(stackalloc byte[256]);
        try
        {
            WriteCid(ref w, TransportParameterId.OriginalDestinationConnectionId, OriginalDestinationConnectionId);
            WriteInt(ref w, TransportParameterId.MaxIdleTimeout, MaxIdleTimeoutMs, 0);
            if (StatelessResetToken is { } srt)
            {
                if (srt.Length != 16) throw new InvalidOperationException("stateless_reset_token must be 16 bytes");
                w.WriteParameter((ulong)TransportParameterId.StatelessResetToken, srt);
            }
            WriteInt(ref w, TransportParameterId.MaxUdpPayloadSize, MaxUdpPayloadSize, DefaultMaxUdpPayloadSize);
            WriteInt(ref w, TransportParameterId.InitialMaxData, InitialMaxData, 0);
            WriteInt(ref w, TransportParameterId.InitialMaxStreamDataBidiLocal, InitialMaxStreamDataBidiLocal, 0);
            WriteInt(ref w, TransportParameterId.InitialMaxStreamDataBidiRemote, InitialMaxStreamDataBidiRemote, 0);
            WriteInt(ref w, TransportParameterId.InitialMaxStreamDataUni, InitialMaxStreamDataUni, 0);
            WriteInt(ref w, TransportParameterId.InitialMaxStreamsBidi, InitialMaxStreamsBidi, 0);
            WriteInt(ref w, TransportParameterId.InitialMaxStreamsUni, InitialMaxStreamsUni, 0);
            WriteInt(ref w, TransportParameterId.AckDelayExponent, AckDelayExponent, DefaultAckDelayExponent);
            WriteInt(ref w, TransportParameterId.MaxAckDelay, MaxAckDelayMs, DefaultMaxAckDelayMs);
            if (DisableActiveMigration) w.WriteParameter((ulong)TransportParameterId.DisableActiveMigration, []);
            if (PreferredAddress is { } pa) WritePreferredAddress(ref w, pa);
            WriteInt(ref w, TransportParameterId.ActiveConnectionIdLimit, ActiveConnectionIdLimit, DefaultActiveConnectionIdLimit);
            WriteCid(ref w, TransportParameterId.InitialSourceConnectionId, InitialSourceConnectionId);
            WriteCid(ref w, TransportParameterId.RetrySourceConnectionId, RetrySourceConnectionId);
            if (VersionInformation is { } vi)
            {
                Span<byte> v = new byte[4 + 4 * vi.AvailableVersions.Length];
                BinaryPrimitives.WriteUInt32BigEndian(v, vi.ChosenVersion);
                for (int i = 0; i < vi.AvailableVersions.Length; i++)
                    BinaryPrimitives.WriteUInt32BigEndian(v[(4 + 4 * i)..], vi.AvailableVersions[i]);
                w.WriteParameter((ulong)TransportParameterId.VersionInformation, v);
                // Also under the draft's id, which peers predating RFC 9368 read (same format).
                if (VersionInformationDraftId) w.WriteParameter((ulong)TransportParameterId.VersionInformationDraft, v);
            }
            if (MaxDatagramFrameSize is ulong mdfs) WriteInt(ref w, TransportParameterId.MaxDatagramFrameSize, mdfs, null);
            if (InitialMaxPathId is uint maxPathId) WriteInt(ref w, TransportParameterId.InitialMaxPathId, maxPathId, null);
            foreach ((ulong id, byte[] value) in Unknown) w.WriteParameter(id, value);
            return w.ToArray();
        }
        finally
        {
            w.Dispose();
        }
    }

    private static void WriteInt(ref TransportParameterWriter w, TransportParameterId id, ulong value, ulong? defaultValue)
    {
        if (value == defaultValue) return;
        Span<byte> v = stackalloc byte[8];
        int n = VarInt.Write(v, value);
        w.WriteParameter((ulong)id, v[..n]);
    }

    private static void WriteCid(ref TransportParameterWriter w, TransportParameterId id, ConnectionId? cid)
    {
        if (cid is ConnectionId c) w.WriteParameter((ulong)id, c.Span);
    }

    private static void WritePreferredAddress(ref TransportParameterWriter w, PreferredAddress pa)
    {
        if (pa.StatelessResetToken.Length != 16) throw new InvalidOperationException("preferred_address reset token must be 16 bytes");
        if (pa.ConnectionId.Length == 0) throw new InvalidOperationException("preferred_address needs a non-empty connection ID");
        Span<byte> v = stackalloc byte[4 + 2 + 16 + 2 + 1 + ConnectionId.MaxLength + 16];
        if (!pa.IPv4.Address.TryWriteBytes(v[..4], out int n4) || n4 != 4) throw new InvalidOperationException("preferred_address IPv4 is not an IPv4 address");
        BinaryPrimitives.WriteUInt16BigEndian(v[4..], (ushort)pa.IPv4.Port);
        if (!pa.IPv6.Address.TryWriteBytes(v[6..22], out int n6) || n6 != 16) throw new InvalidOperationException("preferred_address IPv6 is not an IPv6 address");
        BinaryPrimitives.WriteUInt16BigEndian(v[22..], (ushort)pa.IPv6.Port);
        int pos = 24;
        v[pos++] = (byte)pa.ConnectionId.Length;
        pa.ConnectionId.Span.CopyTo(v[pos..]);
        pos += pa.ConnectionId.Length;
        pa.StatelessResetToken.CopyTo(v[pos..]);
        pos += 16;
        w.WriteParameter((ulong)TransportParameterId.PreferredAddress, v[..pos]);
    }

    /// <summary>
    /// Decodes and validates the peer's parameters. Throws <see cref="QuicProtocolException"/> with
    /// TRANSPORT_PARAMETER_ERROR for duplicates, bad lengths, out-of-range values and server-only
    /// parameters sent by a client (RFC 9000 §7.4, §18.2).
    /// </summary>
    /// <param name="data">The extension's bytes.</param>
    /// <param name="sentByServer">True when the peer is the server.</param>
    public static TransportParameters Decode(ReadOnlySpan<byte> data, bool sentByServer) =>
        TransportParameterDecoder.Decode(data, sentByServer);

    internal static IPEndPoint ZeroIPv4 => new(IPAddress.Any, 0);

    internal static IPEndPoint ZeroIPv6 => new(IPAddress.IPv6Any, 0);
}
