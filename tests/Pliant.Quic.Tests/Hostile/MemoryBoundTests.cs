using Pliant.Quic.Connection;
using Pliant.Quic.Streams;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Hostile;

/// <summary>
/// Issue 11, "memory bounded by what the peer was granted": peers that send their data as sparse
/// 1-byte pieces, retire-forcing NEW_CONNECTION_ID floods, DATAGRAM floods against a slow reader,
/// PING and ACK-range floods. Each is closed with the RFC's error or bounded by a stated limit.
/// </summary>
[Collection(MemoryMeasurement.Name)]
public class MemoryBoundTests
{
    private static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Connected(int seed, int maxDatagramFrameSize = 0) =>
        HostileTraffic.Connected(seed,
            SimulationSetup.ServerEndpoint(seed, SimulationSetup.ServerOptions(seed, maxDatagramFrameSize: maxDatagramFrameSize)),
            // Injected packets skip the link and are acknowledged before the client's PMTU probe arrives, which then
            // counts as lost (packet threshold) and is retried: not what these tests count.
            SimulationSetup.ClientOptions(seed + 500, maxDatagramFrameSize: maxDatagramFrameSize, pathMtuDiscovery: false));

    [Fact]
    public void SparseOneByteStreamFramesCloseWithProtocolViolationBeforeMemoryGrows()
    {
        var (pair, client, server) = Connected(61);
        // One byte at every other offset of a client stream, within its 1 MiB credit: one range each.
        long before = GC.GetTotalMemory(forceFullCollection: true);
        int frames = 0;
        for (ulong offset = 1; offset < 1 << 20 && !server.IsClosed && server.State == ConnectionState.Connected; offset += 2)
        {
            var f = HostileTraffic.Frames(b => StreamFrame.Write(b, 0, offset, [0x41], fin: false, withLength: true));
            HostileTraffic.Inject(pair, client, f);
            frames++;
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal((ulong)TransportErrorCode.ProtocolViolation, HostileTraffic.CloseCode(server));
        // Closed at the per-stream cap, not after half a million ranges.
        Assert.InRange(frames, ReassemblyLimit.DefaultRangesPerStream, ReassemblyLimit.DefaultRangesPerStream + 2);
        Assert.True(after - before < 4 << 20, $"retained {after - before} bytes");
    }

    [Fact]
    public void SparseFramesSpreadOverManyStreamsHitTheConnectionCap()
    {
        var (pair, client, server) = Connected(62);
        int frames = 0;
        // 100 streams (the peer's limit), 400 ranges each: under the per-stream cap, over the connection's 32,768.
        for (int s = 0; s < 100 && server.State == ConnectionState.Connected; s++)
            for (ulong offset = 1; offset < 800 && server.State == ConnectionState.Connected; offset += 2)
            {
                ulong id = (ulong)s * 4;
                var f = HostileTraffic.Frames(b => StreamFrame.Write(b, id, offset, [0x41], fin: false, withLength: true));
                HostileTraffic.Inject(pair, client, f);
                frames++;
            }
        Assert.Equal((ulong)TransportErrorCode.ProtocolViolation, HostileTraffic.CloseCode(server));
        Assert.InRange(frames, ReassemblyLimit.DefaultRangesPerConnection, ReassemblyLimit.DefaultRangesPerConnection + 2);
    }

    [Fact]
    public void NormalReorderingStaysFarBelowTheRangeCaps()
    {
        // 20 % loss and reordering on a 4 MiB transfer: the caps must not close legitimate connections.
        var (pair, client, server) = Connected(63);
        pair.ClientToServer.LossRate = 0.2;
        pair.ClientToServer.ReorderRate = 0.2;
        Assert.True(client.TryOpenStream(true, out ulong id));
        var pump = new StreamPump(client, id, new byte[4 << 20]);
        var collector = new StreamCollector(server);
        pair.OnStep = () =>
        {
            pump.Step();
            collector.Step();
        };
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id), 120_000_000));
        Assert.Equal(ConnectionState.Connected, server.State);
    }

    [Fact]
    public void SparseCryptoDataBeforeTheHandshakeEndsWithCryptoBufferExceeded()
    {
        // A real first flight, re-protected with one-byte CRYPTO fragments far apart: the server's
        // Initial CRYPTO level caps its ranges (RFC 9000 §7.5: CRYPTO_BUFFER_EXCEEDED).
        var flight = HostileTraffic.FirstFlight(64);
        var server = new QuicEndpointCore(SimulationSetup.ServerEndpoint(64));
        server.HandleDatagram(1_000_000, flight, HostileTraffic.Spoofed(1), EcnCodepoint.NotEct);
        var connection = Assert.Single(server.Connections);
        Assert.True(PacketHeader.TryParse(flight, 8, out var h));
        // More Initial packets of the same connection, each with 40 fragments of one byte.
        var sender = new ClientInitialSender(flight, h);
        for (int p = 0; p < 5 && connection.State == ConnectionState.Handshaking; p++)
        {
            var frames = HostileTraffic.Frames(b =>
            {
                int n = 0;
                for (int k = 0; k < 40; k++) n += CryptoFrame.Write(b.AsSpan(n), (ulong)(2000 + (p * 40 + k) * 2), [0x42]);
                return n;
            });
            server.HandleDatagram(1_000_000, sender.Next(frames), HostileTraffic.Spoofed(1), EcnCodepoint.NotEct);
        }
        Assert.Equal((ulong)TransportErrorCode.CryptoBufferExceeded, HostileTraffic.CloseCode(connection));
    }

    [Fact]
    public void RetireForcingNewConnectionIdFloodEndsWithConnectionIdLimitError()
    {
        var (pair, client, server) = Connected(65);
        // Retire Prior To jumps far ahead; then every NEW_CONNECTION_ID below it must be retired at once.
        var token = new byte[16];
        ulong seq = 1000;
        var first = HostileTraffic.Frames(b => new NewConnectionIdFrame(seq++, 999, new ConnectionId([1, 2, 3, 4, 5, 6, 7, 8]), token).Write(b));
        HostileTraffic.Inject(pair, client, first);
        int sent = 0;
        pair.ServerToClient.Down = true; // the retirements are never acknowledged
        for (ulong s = 0; s < 999 && server.State == ConnectionState.Connected; s++)
        {
            var f = HostileTraffic.Frames(b => new NewConnectionIdFrame(s, 0, new ConnectionId([9, 9, 9, 9, (byte)(s >> 8), (byte)s, 0, 1]), token).Write(b));
            HostileTraffic.Inject(pair, client, f);
            sent++;
        }
        Assert.Equal((ulong)TransportErrorCode.ConnectionIdLimitError, HostileTraffic.CloseCode(server));
        // RFC 9000 §5.1.2: at least twice active_connection_id_limit (4 by default) are tolerated.
        Assert.InRange(sent, 2 * 4 - 2, 2 * 4 + 2);
    }

    [Fact]
    public void RepeatedNewConnectionIdBelowRetirePriorToIsRetiredOnce()
    {
        var (pair, client, server) = Connected(66);
        var token = new byte[16];
        HostileTraffic.Inject(pair, client, HostileTraffic.Frames(b => new NewConnectionIdFrame(10, 5, new ConnectionId([1, 1, 1, 1, 1, 1, 1, 1]), token).Write(b)));
        pair.ServerToClient.Down = true;
        for (int i = 0; i < 500; i++)
            HostileTraffic.Inject(pair, client, HostileTraffic.Frames(b => new NewConnectionIdFrame(2, 0, new ConnectionId([2, 2, 2, 2, 2, 2, 2, 2]), token).Write(b)));
        Assert.Equal(ConnectionState.Connected, server.State); // a repeated frame is no error (RFC 9000 §19.15)
    }

    [Fact]
    public void DatagramFloodAgainstASlowReaderKeepsTheNewestAndCountsTheRest()
    {
        var (pair, client, server) = Connected(67, maxDatagramFrameSize: 1200);
        for (int i = 0; i < 5000; i++)
        {
            var payload = BitConverter.GetBytes(i);
            HostileTraffic.Inject(pair, client, HostileTraffic.Frames(b => DatagramFrame.Write(b, payload, withLength: true)));
        }
        // Nobody read: the queue holds the last MaxQueuedDatagrams only (RFC 9221 §5: unreliable).
        var kept = new List<int>();
        while (server.TryPollEvent(out var e))
            if (e.Kind == ConnectionEventKind.DatagramReceived) kept.Add(BitConverter.ToInt32(e.Data));
        Assert.Equal(QuicConnectionCore.MaxQueuedDatagrams, kept.Count);
        Assert.Equal(5000 - 1, kept[^1]);
        Assert.Equal(5000 - QuicConnectionCore.MaxQueuedDatagrams, server.Statistics.DatagramsDropped);
    }

    [Fact]
    public void PingFloodGetsAtMostOneAckPerTwoPackets()
    {
        var (pair, client, server) = Connected(68);
        int before = pair.ServerSent.Count;
        for (int i = 0; i < 2000; i++)
        {
            HostileTraffic.Inject(pair, client, HostileTraffic.Frames(b => new PingFrame().Write(b)));
            pair.RunFor(100);
        }
        int answers = pair.ServerSent.Count - before;
        // RFC 9000 §13.2.2: an ACK at least every second ack-eliciting packet; never one per PING.
        Assert.InRange(answers, 1, 2000 / 2 + 10);
        Assert.Equal(ConnectionState.Connected, server.State);
    }

    [Fact]
    public void AckFramesWithThousandsOfRangesAreProcessedInBoundedWork()
    {
        var (pair, client, server) = Connected(69);
        Assert.True(server.TryOpenStream(false, out ulong id));
        server.StreamWrite(id, new byte[200_000], fin: false);
        pair.ServerToClient.Down = true;
        pair.RunFor(50_000);
        // ACK frames with as many one-packet ranges as fit, acknowledging every other packet ever sent
        // (and many the server never sent: those below its largest): each one bounded by the packet size.
        var ranges = new AckRange[400];
        for (int i = 0; i < ranges.Length; i++) ranges[i] = new AckRange((ulong)(2 * (ranges.Length - i)), (ulong)(2 * (ranges.Length - i)));
        for (int k = 0; k < 200 && server.State == ConnectionState.Connected; k++)
            HostileTraffic.Inject(pair, client, HostileTraffic.Frames(b => AckFrame.Write(b, ranges, 0, null)));
        // Either processed (the ranges below the largest sent are allowed) or closed with an RFC error.
        Assert.True(server.State == ConnectionState.Connected || HostileTraffic.CloseCode(server) == (ulong)TransportErrorCode.ProtocolViolation);
    }

    /// <summary>Builds further client Initial packets for the connection a first flight opened.</summary>
    private sealed class ClientInitialSender(byte[] firstFlight, PacketHeader header)
    {
        private ulong _pn = 1;

        public byte[] Next(byte[] frames)
        {
            // Reuse the first flight's header (same DCID/SCID/token) with the next packet number.
            return HostileTraffic.ReprotectInitial(firstFlight, payload =>
            {
                payload.AsSpan().Clear();
                frames.CopyTo(payload, 0);
            }, packetNumber: _pn++);
        }

        public PacketHeader Header => header;
    }
}
