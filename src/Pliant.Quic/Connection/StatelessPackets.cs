using System.Text;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>
/// Packets an endpoint sends without a connection: Version Negotiation (RFC 9000 §6.1), Retry
/// (§17.2.5), Stateless Reset (§10.3) and a CONNECTION_CLOSE in an Initial packet that refuses a
/// client (§5.2.2 CONNECTION_REFUSED, §8.1.2 INVALID_TOKEN). Each is smaller than the datagram that
/// caused it (a client's Initial datagram is at least 1200 bytes, RFC 9000 §14.1), so none amplifies.
/// </summary>
internal static class StatelessPackets
{
    /// <summary>Longest reason phrase (characters) put in a refusal; ours are short ASCII.</summary>
    private const int MaxReasonChars = 60;

    /// <summary>RFC 9000 §6.1: Version Negotiation listing our versions (and a greased one, §6.3).</summary>
    public static byte[] VersionNegotiation(ReadOnlySpan<byte> datagram, in PacketHeader h)
    {
        var vn = new byte[7 + 2 * ConnectionId.MaxLength + 4 * 4];
        int n = VersionNegotiationPacket.Write(vn, datagram.Slice(h.SourceConnectionIdOffset, h.SourceConnectionIdLength),
            datagram.Slice(h.DestinationConnectionIdOffset, h.DestinationConnectionIdLength),
            [QuicVersion.V1, QuicVersion.V2, QuicVersion.V2Draft], includeGreasedVersion: true);
        return vn[..n];
    }

    /// <summary>RFC 9000 §17.2.5: a Retry carrying <paramref name="token"/> under a new server-chosen <paramref name="retryScid"/>.</summary>
    public static byte[] Retry(in PacketHeader h, ConnectionId retryScid, byte[] token)
    {
        var buffer = new byte[RetryPacket.EncodedLength(h.SourceConnectionId, retryScid, token.Length) + 16];
        int n = RetryPacket.Write(buffer, h.Version, h.SourceConnectionId, retryScid, token);
        // RFC 9001 §5.8: the integrity tag binds the Retry to the client's original DCID.
        RetryIntegrity.ComputeTag(h.Version, h.DestinationConnectionId.Span, buffer.AsSpan(0, n), buffer.AsSpan(n, 16));
        return buffer;
    }

    /// <summary>
    /// RFC 9000 §10.3: a Stateless Reset shorter than the packet that triggered it (so two endpoints
    /// cannot loop) and at least 21 bytes; null when the trigger is too short to answer.
    /// </summary>
    public static byte[]? StatelessReset(int receivedLength, ReadOnlySpan<byte> token16, RandomSource random)
    {
        int length = Math.Min(receivedLength - 1, 43);
        if (length < 21) return null;
        var packet = new byte[length];
        random.Fill(packet.AsSpan(0, length - 16));
        // RFC 9000 §10.3: it looks like a short-header packet: 0b01 then unpredictable bits.
        packet[0] = (byte)(0x40 | (packet[0] & 0x3f));
        token16.CopyTo(packet.AsSpan(length - 16));
        return packet;
    }

    /// <summary>
    /// A server Initial packet holding only CONNECTION_CLOSE (transport error <paramref name="code"/>),
    /// protected with the Initial keys of the client's first Destination Connection ID
    /// (RFC 9001 §5.2), so a client that keeps no other state can read why it was refused. It is not
    /// ack-eliciting and therefore not padded (RFC 9000 §14.1): about 60–100 bytes.
    /// </summary>
    public static byte[] InitialClose(in PacketHeader h, TransportErrorCode code, string reason)
    {
        Span<byte> reasonBytes = stackalloc byte[3 * MaxReasonChars];
        int reasonLength = Encoding.UTF8.GetBytes(reason.Length > MaxReasonChars ? reason[..MaxReasonChars] : reason, reasonBytes);
        var frame = new ConnectionCloseFrame(false, (ulong)code, 0, reasonBytes[..reasonLength]);
        const int pnLength = 2;
        // The server's SCID is arbitrary here; echoing the client's DCID needs no state (RFC 9000 §7.2).
        int headerLength = LongHeader.HeaderLength(PacketType.Initial, h.SourceConnectionId, h.DestinationConnectionId, 0);
        int payload = Math.Max(frame.EncodedLength, 4 - pnLength + 16); // RFC 9001 §5.4.2: room for the sample
        var packet = new byte[headerLength + pnLength + payload + PacketKeys.TagLength];
        LongHeader.Write(packet, PacketType.Initial, h.Version, h.SourceConnectionId, h.DestinationConnectionId,
            ReadOnlySpan<byte>.Empty, pnLength, out int lengthFieldOffset);
        PacketNumber.Write(packet.AsSpan(headerLength), 0, pnLength);
        frame.Write(packet.AsSpan(headerLength + pnLength)); // any bytes after it stay zero: PADDING
        LongHeader.PatchLength(packet, lengthFieldOffset, pnLength + payload + PacketKeys.TagLength);
        using var keys = InitialSecrets.CreateKeysFor(h.Version, h.DestinationConnectionId.Span, clientSide: false);
        PacketProtector.Protect(packet, headerLength, pnLength, 0, keys);
        return packet;
    }
}
