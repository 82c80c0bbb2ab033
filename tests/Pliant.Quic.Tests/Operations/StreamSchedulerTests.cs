using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Streams;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Quic.Tests.Operations;

/// <summary>
/// The stream scheduler (issue 15 item 2): the native one honours RFC 9218 urgency and incremental (§10), and
/// <c>stream.next_to_send</c> replaces it; answers naming no open stream, or nothing sendable 16 times in a row
/// while data is pending, detach the replacement and the native scheduler resumes.
/// </summary>
public class StreamSchedulerTests(ITestOutputHelper output)
{
    [Fact]
    public void AnUrgentSmallStreamOvertakesABulkOne()
    {
        var (pair, server, client) = Served(71);
        long shared = new StreamRace(pair, server, client).Run();
        (pair, server, client) = Served(71);
        long urgent = new StreamRace(pair, server, client) { SmallPriority = new StreamPriority(0, false) }.Run();
        output.WriteLine($"bulk bytes delivered before the small stream completed: round robin {shared}, small stream urgent {urgent}");
        // The urgent stream's 16 kB go out before any more bulk data; what was in flight or buffered still arrives first.
        Assert.True(urgent < shared - 12_000, $"urgent {urgent}, round robin {shared}");
    }

    [Fact]
    public void NonIncrementalStreamsOfOneUrgencyGoOneAtATimeInIdOrder()
    {
        var (pair, server, client) = Served(72);
        var ids = new ulong[3];
        var pumps = new StreamPump[3];
        for (int i = 0; i < 3; i++)
        {
            Assert.True(server.TryOpenStream(false, out ids[i]));
            server.StreamSetPriority(ids[i], new StreamPriority(3, false));
            pumps[i] = new StreamPump(server, ids[i], new byte[200_000]);
        }
        Assert.Equal(new StreamPriority(3, false), server.StreamGetPriority(ids[0]));
        var collector = new StreamCollector(client);
        var finishOrder = new List<ulong>();
        var partialWhenFirstDone = new long[3];
        pair.OnStep = () =>
        {
            for (int i = 2; i >= 0; i--) pumps[i].Step(); // written highest id first: the order is the scheduler's
            collector.Step();
            foreach (var id in ids)
                if (collector.Finished.Contains(id) && !finishOrder.Contains(id))
                {
                    if (finishOrder.Count == 0)
                        for (int i = 0; i < 3; i++) partialWhenFirstDone[i] = collector.Data.TryGetValue(ids[i], out var d) ? d.Length : 0;
                    finishOrder.Add(id);
                }
        };
        Assert.True(pair.RunUntil(() => finishOrder.Count == 3, 600_000_000));
        Assert.Equal(ids, finishOrder);
        // While the first went, the others hardly moved (a stream's data gives way only to the lower id).
        Assert.True(partialWhenFirstDone[2] < 20_000, $"stream 3 had {partialWhenFirstDone[2]} bytes when stream 1 completed");
    }

    [Fact]
    public void APriorityChangeWhileQueuedReordersTheStreams()
    {
        // A (urgency 0) goes first until, 30 ms in, it drops to urgency 7 (a PRIORITY_UPDATE, RFC 9218 §7): B (urgency 5) overtakes.
        var (pair, server, client) = Served(78);
        Assert.True(server.TryOpenStream(false, out ulong a));
        Assert.True(server.TryOpenStream(false, out ulong b));
        server.StreamSetPriority(a, new StreamPriority(0, false));
        server.StreamSetPriority(b, new StreamPriority(5, false));
        var pumps = new[] { new StreamPump(server, a, new byte[400_000]), new StreamPump(server, b, new byte[400_000]) };
        var collector = new StreamCollector(client);
        long changeAt = pair.NowUs + 30_000, aAtChange = -1;
        var order = new List<ulong>();
        pair.OnStep = () =>
        {
            foreach (var p in pumps) p.Step();
            collector.Step();
            if (aAtChange < 0 && pair.NowUs >= changeAt)
            {
                aAtChange = collector.Data.TryGetValue(a, out var d) ? d.Length : 0;
                server.StreamSetPriority(a, new StreamPriority(7, false));
            }
            foreach (var id in new[] { a, b })
                if (collector.Finished.Contains(id) && !order.Contains(id)) order.Add(id);
        };
        Assert.True(pair.RunUntil(() => order.Count == 2, 600_000_000));
        output.WriteLine($"stream A had {aAtChange} bytes when it dropped to urgency 7");
        Assert.InRange(aAtChange, 1, 399_999);
        Assert.Equal([b, a], order);
        Assert.Equal(new StreamPriority(7, false), server.StreamGetPriority(a));
    }

    [Fact]
    public void AReplacementChoosesTheStreamAndSeesTheNativeChoice()
    {
        // A scheduler that always takes the highest candidate id: the small stream (opened later) overtakes.
        var (pair, server, client) = Served(73);
        int calls = 0, nativeMatches = 0, endMatches = 0, roomy = 0;
        var faults = new List<string>();
        server.Operations.Attach(OperationCatalog.StreamNextToSend, Anchor.Replace, (ref OperationArgs a) =>
        {
            calls++;
            ulong best = a.Result;
            for (int i = 0; i < (int)a.A0; i++) best = Math.Max(best, server.StreamCandidate(i));
            if (server.StreamCandidate(0) == a.Result) nativeMatches++;
            if (server.StreamCandidate((int)a.A0) == StreamManager.NoStream) endMatches++;
            if (a.A1 > 0) roomy++;
            a.Result = best;
        }, "highest-id", faults.Add);
        long bulk = new StreamRace(pair, server, client).Run();
        output.WriteLine($"{calls} calls ({endMatches} end, {roomy} roomy, {nativeMatches} native first); bulk bytes before the small stream completed: {bulk}");
        Assert.Empty(faults);
        Assert.True(calls > 500, $"{calls} calls");
        Assert.Equal(calls, endMatches);
        Assert.Equal(calls, roomy);
        Assert.Equal(calls, nativeMatches); // the native choice is the first candidate (one urgency, round robin)
        Assert.True(bulk < 40_000, $"{bulk}");
        Assert.True(server.Operations.IsHooked(OperationNames.StreamNextToSend));
        Assert.Equal(ulong.MaxValue, server.GetStreamField(12345, StreamField.Urgency));
    }

    [Fact]
    public void HostileReadsOfStreamStateAreAnswered()
    {
        // What a plugin may pass to stream_candidate and get_stream_field: any index, any id, any field number.
        var (_, server, _) = Served(79);
        Assert.True(server.TryOpenStream(false, out ulong id));
        Assert.Equal(StreamManager.NoStream, server.StreamCandidate(0)); // outside a stream.next_to_send call
        Assert.Equal(StreamManager.NoStream, server.StreamCandidate(-1));
        Assert.Equal(StreamManager.NoStream, server.StreamCandidate(int.MaxValue));
        Assert.Equal(ulong.MaxValue, server.GetStreamField(id, (StreamField)99));
        Assert.Equal(ulong.MaxValue, server.GetStreamField(id, (StreamField)(-1)));
        Assert.Equal(ulong.MaxValue, server.GetStreamField(ulong.MaxValue, StreamField.Sendable));
        Assert.Equal(3UL, server.GetStreamField(id, StreamField.Urgency));
        Assert.Equal(1UL, server.GetStreamField(id, StreamField.Incremental));
        Assert.Equal(0UL, server.GetStreamField(id, StreamField.Sendable));
    }

    [Theory]
    [InlineData(999_999UL)]                 // a stream id this connection never had
    [InlineData(2UL)]                       // a stream the client could open, not the server's
    [InlineData((1UL << 62) + 1)]           // above the bound
    [InlineData(ulong.MaxValue)]            // -1 as an i64
    public void NonsenseStreamIdsDetachTheSchedulerAndTheTransferCompletes(ulong answer)
    {
        var (pair, server, client) = Served(74);
        var faults = new List<string>();
        int calls = 0;
        server.Operations.Attach(OperationCatalog.StreamNextToSend, Anchor.Replace, (ref OperationArgs a) => { calls++; a.Result = answer; }, "nonsense", faults.Add);
        new StreamRace(pair, server, client) { BulkSize = 300_000 }.Run();
        Assert.Equal(1, calls); // detached on the first answer
        Assert.False(server.Operations.IsHooked(OperationNames.StreamNextToSend));
        Assert.StartsWith("broken invariant in stream.next_to_send (replace):", Assert.Single(faults), StringComparison.Ordinal);
    }

    [Fact]
    public void ASchedulerNamingNothingSendableSixteenTimesInARowIsDetached()
    {
        var (pair, server, client) = Served(75);
        // An open stream with nothing to send (its data all written and sent), and 2^62 ("nothing now").
        Assert.True(server.TryOpenStream(false, out ulong idle));
        var faults = new List<string>();
        int calls = 0;
        server.Operations.Attach(OperationCatalog.StreamNextToSend, Anchor.Replace, (ref OperationArgs a) =>
        {
            a.Result = ++calls % 2 == 0 ? idle : StreamManager.NoStream;
        }, "starver", faults.Add);
        new StreamRace(pair, server, client) { BulkSize = 300_000 }.Run();
        Assert.Equal(StreamManager.StarvationLimit, calls);
        Assert.False(server.Operations.IsHooked(OperationNames.StreamNextToSend));
        Assert.Contains("16 answers in a row named no stream with data to send", Assert.Single(faults), StringComparison.Ordinal);
    }

    [Fact]
    public void FifteenIdleAnswersThenARealOneKeepTheScheduler()
    {
        var (pair, server, client) = Served(76);
        int calls = 0;
        server.Operations.Attach(OperationNames.StreamNextToSend, Anchor.Replace, (ref OperationArgs a) =>
        {
            if (++calls % 16 != 0) a.Result = StreamManager.NoStream; // 15 in a row, then the native choice
        }, "hesitant");
        new StreamRace(pair, server, client) { BulkSize = 300_000 }.Run();
        Assert.True(calls > 100);
        Assert.True(server.Operations.IsHooked(OperationNames.StreamNextToSend));
    }

    [Fact]
    public void BadUrgencyIsRefused()
    {
        var (_, server, _) = Served(77);
        Assert.True(server.TryOpenStream(false, out ulong id));
        Assert.Throws<ArgumentOutOfRangeException>(() => server.StreamSetPriority(id, new StreamPriority(8, false)));
        Assert.Throws<ArgumentOutOfRangeException>(() => server.StreamSetPriority(id, new StreamPriority(-1, true)));
        server.StreamSetPriority(999_999, new StreamPriority(1, true)); // not open: ignored
        Assert.Equal(StreamPriority.Unset, server.StreamGetPriority(id));
    }

    /// <summary>A connected pair; returns the server (the sender in these tests) and the client.</summary>
    private static (SimulatedPair Pair, QuicConnectionCore Server, QuicConnectionCore Client) Served(int seed)
    {
        var (pair, client, server) = OperationTableTests.Connected(seed);
        return (pair, server, client);
    }
}
