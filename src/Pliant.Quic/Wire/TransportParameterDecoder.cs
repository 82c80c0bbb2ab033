using System.Buffers.Binary;
using System.Net;

namespace Pliant.Quic.Wire;

/// <summary>Decoding and validation of transport parameters (RFC 9000 §7.4, §18).</summary>
internal static class TransportParameterDecoder
{
    private static QuicProtocolException Error(string message) =>
        new(TransportErrorCode.TransportParameterError, "transport parameters: " + message);

    public static TransportParameters Decode(ReadOnlySpan<byte> data, bool sentByServer)
    {
        var tp = new TransportParameters();
        var r = new WireReader(data, TransportErrorCode.TransportParameterError, "transport parameters");
        var seen = new HashSet<ulong>();
        while (!r.IsEmpty)
        {
            ulong id = r.ReadVarInt();
            ReadOnlySpan<byte> value = r.ReadVectorVarInt();
            // RFC 9000 §7.4: duplicates SHOULD be a TRANSPORT_PARAMETER_ERROR.
            if (!seen.Add(id)) throw Error($"duplicate parameter 0x{id:x}");
            if (TransportParameters.IsReservedId(id)) continue; // RFC 9000 §18.1: ignored
            switch ((TransportParameterId)id)
            {
                case TransportParameterId.OriginalDestinationConnectionId:
                    ServerOnly(sentByServer, id);
                    tp.OriginalDestinationConnectionId = ReadCid(value, id);
                    break;
                case TransportParameterId.MaxIdleTimeout:
                    tp.MaxIdleTimeoutMs = ReadInt(value, id);
                    break;
                case TransportParameterId.StatelessResetToken:
                    ServerOnly(sentByServer, id);
                    if (value.Length != 16) throw Error("stateless_reset_token must be 16 bytes");
                    tp.StatelessResetToken = value.ToArray();
                    break;
                case TransportParameterId.MaxUdpPayloadSize:
                    tp.MaxUdpPayloadSize = ReadInt(value, id);
                    // RFC 9000 §18.2: values below 1200 are invalid.
                    if (tp.MaxUdpPayloadSize < 1200) throw Error("max_udp_payload_size below 1200");
                    break;
                case TransportParameterId.InitialMaxData:
                    tp.InitialMaxData = ReadInt(value, id);
                    break;
                case TransportParameterId.InitialMaxStreamDataBidiLocal:
                    tp.InitialMaxStreamDataBidiLocal = ReadInt(value, id);
                    break;
                case TransportParameterId.InitialMaxStreamDataBidiRemote:
                    tp.InitialMaxStreamDataBidiRemote = ReadInt(value, id);
                    break;
                case TransportParameterId.InitialMaxStreamDataUni:
                    tp.InitialMaxStreamDataUni = ReadInt(value, id);
                    break;
                case TransportParameterId.InitialMaxStreamsBidi:
                    tp.InitialMaxStreamsBidi = ReadStreams(value, id);
                    break;
                case TransportParameterId.InitialMaxStreamsUni:
                    tp.InitialMaxStreamsUni = ReadStreams(value, id);
                    break;
                case TransportParameterId.AckDelayExponent:
                    tp.AckDelayExponent = ReadInt(value, id);
                    // RFC 9000 §18.2: values above 20 are invalid.
                    if (tp.AckDelayExponent > 20) throw Error("ack_delay_exponent above 20");
                    break;
                case TransportParameterId.MaxAckDelay:
                    tp.MaxAckDelayMs = ReadInt(value, id);
                    // RFC 9000 §18.2: values of 2^14 or greater are invalid.
                    if (tp.MaxAckDelayMs >= 1 << 14) throw Error("max_ack_delay of 2^14 or more");
                    break;
                case TransportParameterId.DisableActiveMigration:
                    if (!value.IsEmpty) throw Error("disable_active_migration must be empty");
                    tp.DisableActiveMigration = true;
                    break;
                case TransportParameterId.PreferredAddress:
                    ServerOnly(sentByServer, id);
                    tp.PreferredAddress = ReadPreferredAddress(value);
                    break;
                case TransportParameterId.ActiveConnectionIdLimit:
                    tp.ActiveConnectionIdLimit = ReadInt(value, id);
                    // RFC 9000 §18.2: MUST be at least 2.
                    if (tp.ActiveConnectionIdLimit < 2) throw Error("active_connection_id_limit below 2");
                    break;
                case TransportParameterId.InitialSourceConnectionId:
                    tp.InitialSourceConnectionId = ReadCid(value, id);
                    break;
                case TransportParameterId.RetrySourceConnectionId:
                    ServerOnly(sentByServer, id);
                    tp.RetrySourceConnectionId = ReadCid(value, id);
                    break;
                case TransportParameterId.VersionInformation:
                    tp.VersionInformation = ReadVersionInformation(value);
                    break;
                case TransportParameterId.VersionInformationDraft:
                    // The pre-RFC 9368 id: used only when the RFC id is absent.
                    tp.VersionInformation ??= ReadVersionInformation(value);
                    break;
                case TransportParameterId.MaxDatagramFrameSize:
                    tp.MaxDatagramFrameSize = ReadInt(value, id);
                    break;
                case TransportParameterId.InitialMaxPathId:
                    ulong maxPathId = ReadInt(value, id);
                    // draft-ietf-quic-multipath-21 §2.1: above 2^32-1 → TRANSPORT_PARAMETER_ERROR.
                    if (maxPathId > MultipathFrames.MaxPathId) throw Error("initial_max_path_id above 2^32-1");
                    tp.InitialMaxPathId = (uint)maxPathId;
                    break;
                default:
                    tp.Unknown.Add((id, value.ToArray()));
                    break;
            }
        }
        return tp;
    }

    private static void ServerOnly(bool sentByServer, ulong id)
    {
        // RFC 9000 §18.2: a server MUST treat server-only parameters from a client as an error.
        if (!sentByServer) throw Error($"server-only parameter 0x{id:x} sent by a client");
    }

    private static ulong ReadInt(ReadOnlySpan<byte> value, ulong id)
    {
        // The value is a single varint filling the whole parameter.
        if (!VarInt.TryRead(value, out ulong v, out int n) || n != value.Length)
            throw Error($"bad integer for parameter 0x{id:x}");
        return v;
    }

    private static ulong ReadStreams(ReadOnlySpan<byte> value, ulong id)
    {
        ulong v = ReadInt(value, id);
        // RFC 9000 §4.6: more than 2^60 streams → TRANSPORT_PARAMETER_ERROR.
        if (v > MaxStreamsFrame.MaxCount) throw Error("initial_max_streams above 2^60");
        return v;
    }

    private static ConnectionId ReadCid(ReadOnlySpan<byte> value, ulong id)
    {
        if (value.Length > ConnectionId.MaxLength) throw Error($"connection ID too long in parameter 0x{id:x}");
        return new ConnectionId(value);
    }

    private static PreferredAddress ReadPreferredAddress(ReadOnlySpan<byte> value)
    {
        var r = new WireReader(value, TransportErrorCode.TransportParameterError, "preferred_address");
        var v4 = new IPEndPoint(new IPAddress(r.ReadBytes(4)), r.ReadUInt16());
        var v6 = new IPEndPoint(new IPAddress(r.ReadBytes(16)), r.ReadUInt16());
        int len = r.ReadByte();
        // RFC 9000 §18.2: a zero-length connection ID here is a TRANSPORT_PARAMETER_ERROR.
        if (len is 0 or > ConnectionId.MaxLength) throw Error("bad preferred_address connection ID length");
        var cid = new ConnectionId(r.ReadBytes(len));
        byte[] token = r.ReadBytes(16).ToArray();
        if (!r.IsEmpty) throw Error("trailing bytes in preferred_address");
        return new PreferredAddress(v4, v6, cid, token);
    }

    private static VersionInformation ReadVersionInformation(ReadOnlySpan<byte> value)
    {
        // RFC 9368 §5: Chosen Version (32), Available Versions (32) ...
        if (value.Length < 4 || value.Length % 4 != 0) throw Error("bad version_information length");
        uint chosen = BinaryPrimitives.ReadUInt32BigEndian(value);
        if (chosen == 0) throw Error("version_information chosen version is zero");
        var available = new uint[value.Length / 4 - 1];
        for (int i = 0; i < available.Length; i++)
            available[i] = BinaryPrimitives.ReadUInt32BigEndian(value[(4 + 4 * i)..]);
        return new VersionInformation(chosen, available);
    }
}
