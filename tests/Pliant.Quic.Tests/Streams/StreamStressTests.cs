using Pliant.Quic.Connection;
using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

public class StreamStressTests
{
    [Theory]
    [InlineData(21, 0.0)]
    [InlineData(22, 0.15)]
    [InlineData(23, 0.3)]
    public void RandomResetsStopSendingAndLossConvergeAndCollectEverything(int seed, double loss)
    {
        var settings = new LocalStreamSettings
        {
            InitialMaxData = 30_000, InitialMaxStreamDataBidiLocal = 6000, InitialMaxStreamDataBidiRemote = 6000,
            MaxStreamsBidi = 4, MaxStreamWindow = 24_000, MaxConnectionWindow = 60_000, SendBufferPerStream = 8000,
        };
        var rnd = new Random(seed);
        var pair = new StreamPair(settings, settings, seed) { LossRate = loss };
        const int total = 30;
        var payload = new Dictionary<ulong, byte[]>();
        var written = new Dictionary<ulong, int>();
        var resetAt = new Dictionary<ulong, int>();       // client resets after this many bytes
        var stopAfter = new HashSet<ulong>();              // server stops reading after the first read
        var serverGot = new Dictionary<ulong, List<byte>>();
        var serverDone = new HashSet<ulong>();
        var clientDone = new HashSet<ulong>();
        var serverOpen = new List<ulong>();
        pair.OnServerEvent = e =>
        {
            if (e.Kind == ConnectionEventKind.StreamOpened)
            {
                serverOpen.Add(e.StreamId);
                serverGot[e.StreamId] = new List<byte>();
                pair.Server.Write(e.StreamId, new byte[rnd.Next(0, 3000)], true);
            }
            if (e.Kind == ConnectionEventKind.StreamReset) serverDone.Add(e.StreamId);
        };
        var buf = new byte[5000];
        pair.Run(() =>
        {
            while (payload.Count < total && pair.Client.TryOpenStream(true, out var id))
            {
                payload[id] = new byte[rnd.Next(1, 40_000)];
                rnd.NextBytes(payload[id]);
                written[id] = 0;
                int r = rnd.Next(6);
                if (r == 0) resetAt[id] = rnd.Next(payload[id].Length);
                else if (r == 1) stopAfter.Add(id);
            }
            foreach (var (id, data) in payload)
            {
                if (written[id] < 0) continue; // finished or reset
                if (resetAt.TryGetValue(id, out int at) && written[id] >= at)
                {
                    pair.Client.Reset(id, 99);
                    written[id] = -1;
                    continue;
                }
                try
                {
                    int n = pair.Client.Write(id, data.AsSpan(written[id]), true);
                    written[id] += n;
                    if (written[id] == data.Length) written[id] = -1;
                }
                catch (InvalidOperationException)
                {
                    written[id] = -1; // the server stopped the stream and we reset it
                }
            }
            foreach (var id in serverOpen)
            {
                if (serverDone.Contains(id)) continue;
                int n = pair.Server.Read(id, buf, out bool fin);
                serverGot[id].AddRange(buf.AsSpan(0, n).ToArray());
                if (stopAfter.Contains(id) && !fin) { pair.Server.StopSending(id, 7); serverDone.Add(id); }
                else if (fin) serverDone.Add(id);
            }
            foreach (var id in payload.Keys)
            {
                if (clientDone.Contains(id)) continue;
                while (pair.Client.Read(id, buf, out bool fin) > 0 || fin) { if (fin) { clientDone.Add(id); break; } }
            }
        });
        Assert.Equal(total, payload.Count);
        foreach (var (id, data) in payload)
        {
            bool aborted = resetAt.ContainsKey(id) || stopAfter.Contains(id);
            if (!aborted) Assert.Equal(data, serverGot[id].ToArray());
            else Assert.Equal(data.AsSpan(0, serverGot[id].Count).ToArray(), serverGot[id].ToArray());
        }
        Assert.NotEmpty(resetAt);
        Assert.NotEmpty(stopAfter);
        Assert.Contains(pair.ServerEvents, e => e.Kind == ConnectionEventKind.StreamReset && e.ErrorCode == 99);
        Assert.Contains(pair.ClientEvents, e => e.Kind == ConnectionEventKind.StreamStopSending && e.ErrorCode == 7);
        Assert.Empty(pair.Client.ActiveStreamIds);
        Assert.Empty(pair.Server.ActiveStreamIds);
        Assert.False(pair.Client.HasPendingControl || pair.Server.HasPendingControl);
        Assert.Equal(pair.Server.ConnectionReceiveCredit.Received, pair.Server.ConnectionReceiveCredit.Consumed);
    }
}
