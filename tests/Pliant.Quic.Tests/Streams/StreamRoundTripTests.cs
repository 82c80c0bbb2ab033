using Pliant.Quic.Connection;
using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

public class StreamRoundTripTests
{
    private static byte[] Data(int n, int seed) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.1)]
    [InlineData(3, 0.3)]
    [InlineData(4, 0.5)]
    public void EchoOverLossyLinkDeliversAllBytesOnceInOrder(int seed, double loss)
    {
        var settings = new LocalStreamSettings
        {
            InitialMaxData = 64 * 1024, InitialMaxStreamDataBidiLocal = 16 * 1024,
            InitialMaxStreamDataBidiRemote = 16 * 1024, SendBufferPerStream = 20_000,
            MaxStreamWindow = 64 * 1024, MaxConnectionWindow = 128 * 1024,
        };
        var pair = new StreamPair(settings, settings, seed) { LossRate = loss };
        var payload = Data(300_000, seed);
        Assert.True(pair.Client.TryOpenStream(true, out ulong id));
        int written = 0;
        var echoed = new List<byte>();
        var serverGot = new List<byte>();
        var pendingEcho = new List<byte>();
        bool serverFin = false, clientFin = false, echoFinWritten = false;
        var buf = new byte[7000];
        pair.Run(() =>
        {
            if (written < payload.Length)
                written += pair.Client.Write(id, payload.AsSpan(written), fin: true);
            // Server: read what is there, echo it back (respecting backpressure).
            if (!serverFin && pair.ServerEvents.Exists(e => e.Kind == ConnectionEventKind.StreamOpened))
            {
                int n;
                do
                {
                    n = pair.Server.Read(id, buf, out serverFin);
                    serverGot.AddRange(buf.AsSpan(0, n).ToArray());
                    pendingEcho.AddRange(buf.AsSpan(0, n).ToArray());
                } while (n > 0);
            }
            if (pendingEcho.Count > 0 || (serverFin && !echoFinWritten))
            {
                int n = pair.Server.Write(id, pendingEcho.ToArray(), fin: serverFin);
                if (n == pendingEcho.Count && serverFin) echoFinWritten = true;
                pendingEcho.RemoveRange(0, n);
            }
            if (!clientFin)
            {
                int n;
                do
                {
                    n = pair.Client.Read(id, buf, out clientFin);
                    echoed.AddRange(buf.AsSpan(0, n).ToArray());
                } while (n > 0);
            }
        });
        Assert.True(serverFin);
        Assert.True(clientFin);
        Assert.Equal(payload, serverGot.ToArray());
        Assert.Equal(payload, echoed.ToArray());
        Assert.Contains(pair.ClientEvents, e => e.Kind == ConnectionEventKind.StreamSendComplete && e.StreamId == id);
        Assert.Contains(pair.ServerEvents, e => e.Kind == ConnectionEventKind.StreamSendComplete && e.StreamId == id);
        Assert.Contains(pair.ServerEvents, e => e.Kind == ConnectionEventKind.StreamOpened && e.StreamId == id);
        Assert.Contains(pair.ClientEvents, e => e.Kind == ConnectionEventKind.StreamWritable && e.StreamId == id);
        // Both sides terminal and everything read: state collected.
        Assert.Empty(pair.Client.ActiveStreamIds);
        Assert.Empty(pair.Server.ActiveStreamIds);
        Assert.Equal(payload.Length, pair.Client.BytesSent);
        Assert.Equal(payload.Length, pair.Server.BytesReceived);
        if (loss > 0) Assert.True(pair.Client.BytesRetransmitted > 0);
        // The windows were far smaller than the data: credit was granted repeatedly.
        Assert.True(pair.Server.ConnectionReceiveCredit.Limit >= (ulong)payload.Length);
    }

    [Theory]
    [InlineData(10, 0.0)]
    [InlineData(11, 0.2)]
    public void ManyUniStreamsWithStreamLimitReplenishment(int seed, double loss)
    {
        var client = new LocalStreamSettings();
        var server = new LocalStreamSettings
        {
            MaxStreamsUni = 3, InitialMaxStreamDataUni = 4000, InitialMaxData = 10_000,
            MaxStreamWindow = 4000, MaxConnectionWindow = 10_000,
        };
        var pair = new StreamPair(client, server, seed) { LossRate = loss };
        const int streams = 25;
        var payloads = Enumerable.Range(0, streams).Select(i => Data(1000 + i * 500, seed * 100 + i)).ToArray();
        var opened = new List<ulong>();
        var got = new Dictionary<ulong, List<byte>>();
        var finished = new HashSet<ulong>();
        var buf = new byte[3000];
        bool blockedSeen = false;
        pair.Run(() =>
        {
            while (opened.Count < streams)
            {
                if (!pair.Client.TryOpenStream(false, out var id)) { blockedSeen = true; break; }
                Assert.Equal(payloads[opened.Count].Length, pair.Client.Write(id, payloads[opened.Count], fin: true));
                opened.Add(id);
            }
            foreach (var id in pair.Server.ActiveStreamIds.ToList())
            {
                if (finished.Contains(id)) continue;
                if (!got.TryGetValue(id, out var list)) got[id] = list = new List<byte>();
                int n;
                bool fin;
                do
                {
                    n = pair.Server.Read(id, buf, out fin);
                    list.AddRange(buf.AsSpan(0, n).ToArray());
                } while (n > 0);
                if (fin) finished.Add(id);
            }
        });
        Assert.True(blockedSeen);
        Assert.Equal(streams, opened.Count);
        Assert.Equal(streams, finished.Count);
        for (int i = 0; i < streams; i++) Assert.Equal(payloads[i], got[opened[i]].ToArray());
        Assert.Contains(pair.ClientEvents, e => e.Kind == ConnectionEventKind.StreamsAvailable);
        Assert.Equal(3UL + streams, pair.Server.PeerStreamLimit.Uni);
        Assert.Empty(pair.Server.ActiveStreamIds);
        Assert.Empty(pair.Client.ActiveStreamIds);
    }

    [Fact]
    public void RoundRobinSharesPacketsBetweenStreams()
    {
        var pair = new StreamPair();
        pair.Client.TryOpenStream(true, out var a);
        pair.Client.TryOpenStream(true, out var b);
        pair.Client.Write(a, new byte[50_000], false);
        pair.Client.Write(b, new byte[50_000], false);
        var counts = new Dictionary<ulong, int> { [a] = 0, [b] = 0 };
        for (int i = 0; i < 10; i++)
        {
            var p = pair.BuildPacket(pair.Client)!.Value;
            foreach (var f in p.Frames) counts[f.StreamId] += f.Length;
        }
        Assert.InRange(counts[a], counts[b] - 1200, counts[b] + 1200);
        Assert.True(counts[a] > 4000);
    }

    [Fact]
    public void SmallPacketsHoldSeveralFramesAndEveryFrameIsRecorded()
    {
        var pair = new StreamPair();
        var ids = new List<ulong>();
        for (int i = 0; i < 5; i++) { pair.Client.TryOpenStream(false, out var id); ids.Add(id); pair.Client.Write(id, new byte[10], true); }
        var p = pair.BuildPacket(pair.Client)!.Value;
        Assert.Equal(5, p.Frames.Count);
        var decoded = TestFrameDecoder.Decode(p.Bytes);
        Assert.Equal(5, decoded.Count);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(SentFrameKind.Stream, p.Frames[i].Kind);
            Assert.Equal(decoded[i].A, p.Frames[i].StreamId);
            Assert.True(p.Frames[i].Fin);
            Assert.Equal(10, p.Frames[i].Length);
        }
    }
}
