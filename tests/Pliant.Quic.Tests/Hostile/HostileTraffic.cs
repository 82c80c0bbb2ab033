using System.Buffers.Binary;
using System.Net;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Hostile;

/// <summary>What an attacker sends: junk Initials, real first flights from spoofed sources, raw frames.</summary>
internal static class HostileTraffic
{
    /// <summary>A spoofed source address number <paramref name="i"/> (distinct addresses and ports).</summary>
    public static IPEndPoint Spoofed(int i) =>
        new(new IPAddress([(byte)(11 + (i >> 24 & 0x3f)), (byte)(i >> 16), (byte)(i >> 8), (byte)i]), 1024 + i % 50_000);

    /// <summary>
    /// 1200 bytes with a valid QUIC v1 long header of an Initial (random 8-byte DCID, SCID, no token, a
    /// plausible Length) and a garbage payload: what the flood sent.
    /// </summary>
    public static byte[] JunkInitial(Random rng, int length = 1200) => SyntheticInitial.Junk(rng, length);

    /// <summary>A real client's first datagram (Initial with a ClientHello, padded), from a fresh client endpoint.</summary>
    public static byte[] FirstFlight(int seed, uint version = QuicVersion.V1, byte[]? token = null)
    {
        var endpoint = new QuicEndpointCore(new QuicEndpointOptions { Random = new Random(seed) });
        var options = SimulationSetup.ClientOptions(seed, version: version);
        endpoint.Connect(1_000_000, options, new IPEndPoint(IPAddress.Parse("10.0.0.1"), 443));
        var buffer = new byte[2048];
        if (!endpoint.PollTransmit(1_000_000, buffer, 1, out var t)) throw new InvalidOperationException("no first flight");
        return buffer[..t.Length];
    }

    /// <summary>
    /// Decrypts a client's first Initial (its keys follow from the DCID, RFC 9001 §5.2), lets
    /// <paramref name="mutate"/> change the plaintext frames, and protects it again: a well-formed,
    /// authentic Initial with attacker-chosen contents.
    /// </summary>
    public static byte[] ReprotectInitial(byte[] datagram, Action<byte[]> mutate, ulong? packetNumber = null)
    {
        var d = (byte[])datagram.Clone();
        if (!PacketHeader.TryParse(d, 8, out var h)) throw new ArgumentException("not a QUIC packet");
        using var keys = Pliant.Quic.Crypto.InitialSecrets.CreateKeysFor(h.Version, h.DestinationConnectionId.Span, clientSide: true);
        var packet = d.AsSpan(0, h.PacketLength);
        if (!Pliant.Quic.Crypto.PacketProtector.TryRemoveHeaderProtection(packet, h.PacketNumberOffset, keys, out int pnLength, out ulong pn) ||
            !Pliant.Quic.Crypto.PacketProtector.TryDecrypt(packet, h.PacketNumberOffset, pnLength, pn, keys, out int payloadLength))
            throw new ArgumentException("does not decrypt");
        int payloadStart = h.PacketNumberOffset + pnLength;
        var payload = packet.Slice(payloadStart, payloadLength).ToArray();
        mutate(payload);
        payload.CopyTo(packet[payloadStart..]);
        if (packetNumber is { } next)
        {
            pn = next;
            PacketNumber.Write(packet[h.PacketNumberOffset..], pn, pnLength);
        }
        Pliant.Quic.Crypto.PacketProtector.Protect(packet, h.PacketNumberOffset, pnLength, pn, keys);
        return d;
    }

    /// <summary>Index in a decrypted Initial payload of the first byte of the CRYPTO data at offset 0.</summary>
    public static int FindCryptoOffsetZero(byte[] payload)
    {
        var r = new WireReader(payload, TransportErrorCode.FrameEncodingError, "frame");
        while (!r.IsEmpty)
        {
            int at = payload.Length - r.Remaining;
            ulong type = r.ReadVarInt();
            if (type is 0 or 1) continue;
            if (type != 6) throw new ArgumentException($"unexpected frame 0x{type:x} at {at}");
            ulong offset = r.ReadVarInt();
            int length = (int)r.ReadVarInt();
            int start = payload.Length - r.Remaining;
            if (offset == 0) return start;
            r.Skip(length);
        }
        throw new ArgumentException("no CRYPTO data at offset 0");
    }

    /// <summary>Frames as bytes, written by <paramref name="write"/> into a scratch buffer.</summary>
    public static byte[] Frames(Func<byte[], int> write)
    {
        var b = new byte[1400];
        return b[..write(b)];
    }

    /// <summary>One 1-RTT packet of <paramref name="client"/> carrying exactly <paramref name="frames"/>.</summary>
    public static byte[] Packet(QuicConnectionCore client, long nowUs, ReadOnlySpan<byte> frames)
    {
        var b = new byte[1500];
        return b[..client.WriteRawOneRttPacket(nowUs, frames, b)];
    }

    /// <summary>Sends <paramref name="frames"/> from the client to the server (through the link, or from <paramref name="from"/>, spoofed).</summary>
    public static void Inject(SimulatedPair pair, QuicConnectionCore client, ReadOnlySpan<byte> frames, IPEndPoint? from = null) =>
        pair.Server.HandleDatagram(pair.NowUs, Packet(client, pair.NowUs, frames), from ?? pair.ClientAddress, EcnCodepoint.NotEct);

    /// <summary>A connected client/server pair over a clean simulated link.</summary>
    public static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Connected(int seed,
        QuicEndpointOptions? server = null, QuicConnectionOptions? client = null)
    {
        var pair = new SimulatedPair(seed, server ?? SimulationSetup.ServerEndpoint(seed));
        var c = pair.Connect(client ?? SimulationSetup.ClientOptions(seed));
        if (!pair.RunUntil(() => c.HandshakeConfirmed && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected))
            throw new InvalidOperationException("handshake did not complete");
        return (pair, c, pair.Server.Connections[0]);
    }

    /// <summary>The Closed event's transport error code of a connection, once closed.</summary>
    public static ulong? CloseCode(QuicConnectionCore c) => c.CloseInfo?.ErrorCode;
}
