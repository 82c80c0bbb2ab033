using Pliant.Quic.Connection;
using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

public class StreamManagerTests
{
    private static readonly LocalStreamSettings Small = new()
    {
        InitialMaxData = 10_000, InitialMaxStreamDataBidiLocal = 4000, InitialMaxStreamDataBidiRemote = 4000,
        InitialMaxStreamDataUni = 4000, MaxStreamsBidi = 2, MaxStreamsUni = 2, MaxStreamWindow = 4000,
        MaxConnectionWindow = 10_000, SendBufferPerStream = 5000,
    };

    private static StreamManager Server(LocalStreamSettings? s = null)
    {
        var m = new StreamManager(false, s ?? Small);
        m.SetPeerLimits(StreamPair.Limits(s ?? Small));
        Events(m); // StreamsAvailable from the peer's limits
        return m;
    }

    private static StreamManager Client(LocalStreamSettings? s = null)
    {
        var m = new StreamManager(true, s ?? Small);
        m.SetPeerLimits(StreamPair.Limits(s ?? Small));
        Events(m);
        return m;
    }

    private static TransportErrorCode ErrorOf(Action a) => Assert.Throws<QuicProtocolException>(a).ErrorCode;

    private static List<ConnectionEvent> Events(StreamManager m)
    {
        var list = new List<ConnectionEvent>();
        while (m.TryPollEvent(out var e)) list.Add(e);
        return list;
    }

    private static (List<TestFrameDecoder.Decoded> Frames, List<SentFrame> Sent) Flush(StreamManager m, int size = 1200, long now = 0, long rtt = 10_000)
    {
        var buf = new byte[size];
        var sent = new List<SentFrame>();
        int n = m.WriteControlFrames(buf, sent, now, rtt);
        n += m.WriteStreamFrames(buf.AsSpan(n), sent);
        return (TestFrameDecoder.Decode(buf.AsSpan(0, n)), sent);
    }

    // --- Stream state errors (RFC 9000 §19.4, §19.5, §19.8, §19.10, §19.13) ---

    [Fact]
    public void StreamFrameOnOurSendOnlyStreamIsStateError()
    {
        var c = Client();
        Assert.True(c.TryOpenStream(false, out var id));
        Assert.Equal(2UL, id);
        Assert.Equal(TransportErrorCode.StreamStateError, ErrorOf(() => c.OnStreamFrame(id, 0, new byte[1], false, 0)));
        Assert.Equal(TransportErrorCode.StreamStateError, ErrorOf(() => c.OnResetStream(id, 0, 0)));
        Assert.Equal(TransportErrorCode.StreamStateError, ErrorOf(() => c.OnStreamDataBlocked(id, 0)));
    }

    [Fact]
    public void FramesForLocalStreamNotYetOpenedAreStateErrors()
    {
        var c = Client();
        Assert.Equal(TransportErrorCode.StreamStateError, ErrorOf(() => c.OnStreamFrame(0, 0, new byte[1], false, 0)));
        Assert.Equal(TransportErrorCode.StreamStateError, ErrorOf(() => c.OnMaxStreamData(0, 100)));
        Assert.Equal(TransportErrorCode.StreamStateError, ErrorOf(() => c.OnStopSending(4, 1)));
    }

    [Fact]
    public void SendSideFramesOnReceiveOnlyStreamAreStateErrors()
    {
        var c = Client();
        // Stream 3: server-initiated unidirectional, receive-only for the client.
        Assert.Equal(TransportErrorCode.StreamStateError, ErrorOf(() => c.OnMaxStreamData(3, 100)));
        Assert.Equal(TransportErrorCode.StreamStateError, ErrorOf(() => c.OnStopSending(3, 1)));
    }

    // --- Stream limits and implicit opening (RFC 9000 §3.2, §4.6) ---

    [Fact]
    public void PeerStreamsOpenImplicitlyInOrder()
    {
        var s = Server();
        s.OnStreamFrame(4, 0, new byte[3], false, 0); // index 1 opens index 0 too
        var ev = Events(s);
        Assert.Equal([0UL, 4UL], ev.Where(e => e.Kind == ConnectionEventKind.StreamOpened).Select(e => e.StreamId));
        Assert.Single(ev, e => e.Kind == ConnectionEventKind.StreamReadable && e.StreamId == 4);
        Assert.Equal([0UL, 4UL], s.ActiveStreamIds.OrderBy(x => x));
    }

    [Fact]
    public void PeerExceedingStreamLimitIsStreamLimitError()
    {
        var s = Server();
        Assert.Equal(TransportErrorCode.StreamLimitError, ErrorOf(() => s.OnStreamFrame(8, 0, new byte[1], false, 0)));
        Assert.Equal(TransportErrorCode.StreamLimitError, ErrorOf(() => s.OnStreamFrame(10, 0, new byte[1], false, 0)));
    }

    [Fact]
    public void OpeningBeyondPeerLimitQueuesStreamsBlockedAndMaxStreamsReleases()
    {
        var c = Client();
        Assert.True(c.TryOpenStream(true, out _));
        Assert.True(c.TryOpenStream(true, out _));
        Assert.False(c.TryOpenStream(true, out _));
        Assert.False(c.TryOpenStream(true, out _));
        var (frames, sent) = Flush(c);
        var blocked = Assert.Single(frames, f => f.Type == 0x16);
        Assert.Equal(2UL, blocked.A);
        Assert.Single(sent, f => f.Kind == SentFrameKind.StreamsBlocked);
        c.OnMaxStreams(true, 3);
        var ev = Assert.Single(Events(c));
        Assert.Equal(ConnectionEventKind.StreamsAvailable, ev.Kind);
        Assert.Equal(8UL, ev.StreamId);
        Assert.True(c.TryOpenStream(true, out var id));
        Assert.Equal(8UL, id);
        Assert.Equal(TransportErrorCode.FrameEncodingError, ErrorOf(() => c.OnMaxStreams(true, (1UL << 60) + 1)));
    }

    [Fact]
    public void StreamsBeforePeerLimitsWaitForThem()
    {
        var c = new StreamManager(true, Small);
        Assert.False(c.TryOpenStream(true, out _));
        c.SetPeerLimits(StreamPair.Limits(Small));
        var ev = Events(c);
        Assert.Equal([0UL, 2UL], ev.Where(e => e.Kind == ConnectionEventKind.StreamsAvailable).Select(e => e.StreamId));
        Assert.True(c.TryOpenStream(true, out var id));
        Assert.Equal(0UL, id);
    }

    [Fact]
    public void ClosedPeerStreamsRaiseMaxStreams()
    {
        var s = Server();
        s.OnStreamFrame(2, 0, new byte[5], true, 0); // client uni stream, complete
        Assert.Equal(5, s.Read(2, new byte[10], out var fin));
        Assert.True(fin);
        Assert.Empty(s.ActiveStreamIds);
        Assert.Equal(3UL, s.PeerStreamLimit.Uni);
        var (frames, sent) = Flush(s);
        var f = Assert.Single(frames, x => x.Type == 0x13);
        Assert.Equal(3UL, f.A);
        // Lost: resent with the current value.
        s.OnStreamFrame(6, 0, default, true, 0);
        s.Read(6, new byte[1], out _);
        s.OnFrameLost(sent.Single(x => x.Kind == SentFrameKind.MaxStreams)); // value 3 is stale now
        (frames, sent) = Flush(s);
        Assert.Equal(4UL, Assert.Single(frames, x => x.Type == 0x13).A);
        s.OnFrameLost(sent.Single());
        (frames, _) = Flush(s);
        Assert.Equal(4UL, Assert.Single(frames, x => x.Type == 0x13).A);
    }

    // --- Flow control (RFC 9000 §4.1) ---

    [Fact]
    public void StreamDataBeyondStreamWindowIsFlowControlError()
    {
        var s = Server();
        s.OnStreamFrame(0, 0, new byte[4000], false, 0);
        Assert.Equal(TransportErrorCode.FlowControlError, ErrorOf(() => s.OnStreamFrame(0, 4000, new byte[1], false, 0)));
    }

    [Fact]
    public void SumOverStreamsBeyondConnectionWindowIsFlowControlError()
    {
        var settings = Small with { MaxStreamsUni = 10 };
        var s = Server(settings);
        s.OnStreamFrame(2, 0, new byte[4000], false, 0);
        s.OnStreamFrame(6, 0, new byte[4000], false, 0);
        s.OnStreamFrame(10, 0, new byte[2000], false, 0);
        Assert.Equal(TransportErrorCode.FlowControlError, ErrorOf(() => s.OnStreamFrame(14, 0, new byte[1], false, 0)));
    }

    [Fact]
    public void ResetFinalSizeCountsAgainstFlowControl()
    {
        var s = Server();
        Assert.Equal(TransportErrorCode.FlowControlError, ErrorOf(() => s.OnResetStream(2, 7, 4001)));
    }

    [Fact]
    public void ResetFinalSizeChangesAreFinalSizeErrors()
    {
        var s = Server();
        s.OnStreamFrame(2, 0, new byte[100], false, 0);
        Assert.Equal(TransportErrorCode.FinalSizeError, ErrorOf(() => s.OnResetStream(2, 7, 50)));
        var s2 = Server();
        s2.OnStreamFrame(2, 0, new byte[100], true, 0);
        Assert.Equal(TransportErrorCode.FinalSizeError, ErrorOf(() => s2.OnResetStream(2, 7, 101)));
        var s3 = Server();
        s3.OnResetStream(2, 7, 100);
        Assert.Equal(TransportErrorCode.FinalSizeError, ErrorOf(() => s3.OnStreamFrame(2, 90, new byte[20], false, 0)));
    }

    [Fact]
    public void ConsumedHalfTheWindowSendsMaxStreamDataAndMaxData()
    {
        var s = Server();
        s.OnStreamFrame(0, 0, new byte[4000], false, 0);
        Assert.False(s.HasPendingControl);
        Assert.Equal(2500, s.Read(0, new byte[2500], out _));
        var (frames, sent) = Flush(s);
        var msd = Assert.Single(frames, f => f.Type == 0x11);
        Assert.Equal((0UL, 6500UL), (msd.A, msd.B));
        Assert.DoesNotContain(frames, f => f.Type == 0x10); // 2500 of 10000 is less than half
        s.OnStreamFrame(0, 4000, new byte[2500], false, 0);
        s.Read(0, new byte[4000], out _);
        (frames, sent) = Flush(s);
        Assert.Equal(6500UL + 10_000UL - 6500UL + 6500UL, Assert.Single(frames, f => f.Type == 0x10).A);
        // A lost MAX_DATA is resent with the current value.
        s.OnFrameLost(sent.Single(f => f.Kind == SentFrameKind.MaxData));
        Assert.True(s.HasPendingControl);
        (frames, _) = Flush(s);
        Assert.Equal(16_500UL, Assert.Single(frames, f => f.Type == 0x10).A);
    }

    [Fact]
    public void ResetReleasesConnectionCredit()
    {
        var s = Server();
        s.OnStreamFrame(2, 0, new byte[100], false, 0);
        s.OnResetStream(2, 9, 3000);
        Assert.Equal(3000UL, s.ConnectionReceiveCredit.Received);
        Assert.Equal(3000UL, s.ConnectionReceiveCredit.Consumed);
        var ev = Events(s);
        var reset = Assert.Single(ev, e => e.Kind == ConnectionEventKind.StreamReset);
        Assert.Equal(9UL, reset.ErrorCode);
        // Once the application saw the reset, the stream is gone and reads as finished.
        Assert.Empty(s.ActiveStreamIds);
        Assert.Equal(0, s.Read(2, new byte[10], out var fin));
        Assert.True(fin);
    }

    [Fact]
    public void SenderRespectsCreditAndReportsBlocked()
    {
        var c = Client();
        c.TryOpenStream(true, out var id);
        Assert.Equal(5000, c.Write(id, new byte[6000], false)); // send buffer is 5000
        var (frames, sent) = Flush(c, 10_000);
        Assert.Equal(4000, frames.Where(f => f.Type is >= 0x08 and <= 0x0f).Sum(f => f.Data!.Length));
        var blocked = Assert.Single(frames.Concat(Flush(c).Frames), f => f.Type == 0x15);
        Assert.Equal((id, 4000UL), (blocked.A, blocked.B));
        Assert.False(c.HasPendingStreamData);
        c.OnMaxStreamData(id, 4500);
        Assert.True(c.HasPendingStreamData);
        (frames, _) = Flush(c);
        var sf = Assert.Single(frames);
        Assert.Equal((4000UL, 500), (sf.B, sf.Data!.Length));
    }

    [Fact]
    public void ConnectionCreditBlocksAllStreamsAndMaxDataReleasesThem()
    {
        var settings = Small with { InitialMaxData = 3000 };
        var c = Client(settings);
        c.TryOpenStream(true, out var a);
        c.TryOpenStream(true, out var b);
        c.Write(a, new byte[2000], false);
        c.Write(b, new byte[2000], false);
        var (frames, _) = Flush(c, 10_000);
        Assert.Equal(3000, frames.Where(f => f.Data is not null).Sum(f => f.Data!.Length));
        Assert.Single(frames.Concat(Flush(c).Frames), f => f.Type == 0x14 && f.A == 3000);
        Assert.False(c.HasPendingStreamData);
        c.OnMaxData(5000);
        (frames, _) = Flush(c, 10_000);
        Assert.Equal(1000, frames.Where(f => f.Data is not null).Sum(f => f.Data!.Length));
    }

    // --- Reset and STOP_SENDING (RFC 9000 §3.5, §19.4, §19.5) ---

    [Fact]
    public void StopSendingMakesUsResetWithTheSameCode()
    {
        var c = Client();
        c.TryOpenStream(true, out var id);
        c.Write(id, new byte[1000], false);
        var (_, sent) = Flush(c);
        c.OnStopSending(id, 77);
        var ev = Assert.Single(Events(c));
        Assert.Equal((ConnectionEventKind.StreamStopSending, 77UL), (ev.Kind, ev.ErrorCode));
        var (frames, rsent) = Flush(c);
        var reset = Assert.Single(frames);
        Assert.Equal((0x04UL, id, 77UL, 1000UL), (reset.Type, reset.A, reset.B, reset.C));
        // Lost STREAM data is not retransmitted after a reset; a lost RESET_STREAM is.
        c.OnFrameLost(sent[0]);
        Assert.False(c.HasPendingStreamData);
        c.OnFrameLost(rsent[0]);
        (frames, rsent) = Flush(c);
        Assert.Equal(0x04UL, Assert.Single(frames).Type);
        c.OnFrameAcked(rsent[0]);
        Assert.Throws<InvalidOperationException>(() => c.Write(id, new byte[1], false));
    }

    [Fact]
    public void StopSendingRoundTripClosesBothSides()
    {
        var pair = new StreamPair(seed: 3);
        pair.Client.TryOpenStream(false, out var id);
        pair.Client.Write(id, new byte[3000], false);
        pair.Run();
        pair.Server.StopSending(id, 5);
        pair.Run();
        Assert.Contains(pair.ClientEvents, e => e.Kind == ConnectionEventKind.StreamStopSending && e.ErrorCode == 5);
        Assert.DoesNotContain(pair.ServerEvents, e => e.Kind == ConnectionEventKind.StreamReset); // app asked for it
        Assert.Empty(pair.Client.ActiveStreamIds);
        Assert.Empty(pair.Server.ActiveStreamIds);
        Assert.Equal(3000UL, pair.Server.ConnectionReceiveCredit.Consumed);
    }

    [Fact]
    public void ApplicationResetReachesPeer()
    {
        var pair = new StreamPair(seed: 4);
        pair.Client.TryOpenStream(true, out var id);
        pair.Client.Write(id, new byte[2000], false);
        pair.Run();
        pair.Client.Reset(id, 42);
        pair.Run();
        var e = Assert.Single(pair.ServerEvents, x => x.Kind == ConnectionEventKind.StreamReset);
        Assert.Equal((id, 42UL), (e.StreamId, e.ErrorCode));
        // Server still has its sending part open; finishing it closes everything.
        pair.Server.Write(id, default, true);
        pair.Run();
        Assert.Equal(0, pair.Client.Read(id, new byte[1], out var fin));
        Assert.True(fin);
        Assert.Empty(pair.Server.ActiveStreamIds);
        Assert.Empty(pair.Client.ActiveStreamIds);
    }

    // --- Events, backpressure ---

    [Fact]
    public void BackpressureThenWritableAfterAcks()
    {
        var c = Client();
        c.TryOpenStream(false, out var id);
        Assert.Equal(5000, c.Write(id, new byte[8000], false));
        Assert.Equal(0, c.Write(id, new byte[1], false));
        var (_, sent) = Flush(c, 10_000);
        Assert.Empty(Events(c));
        foreach (var f in sent) c.OnFrameAcked(f);
        var ev = Assert.Single(Events(c));
        Assert.Equal((ConnectionEventKind.StreamWritable, id), (ev.Kind, ev.StreamId));
        Assert.Equal(4000, c.Write(id, new byte[8000], false));
    }

    [Fact]
    public void SendCompleteAfterAllDataAndFinAcked()
    {
        var c = Client();
        c.TryOpenStream(false, out var id);
        c.Write(id, new byte[100], true);
        var (_, sent) = Flush(c);
        var f = Assert.Single(sent);
        Assert.True(f.Fin);
        c.OnFrameLost(f);
        var (_, sent2) = Flush(c);
        c.OnFrameAcked(sent2.Single());
        var ev = Assert.Single(Events(c));
        Assert.Equal(ConnectionEventKind.StreamSendComplete, ev.Kind);
        Assert.Empty(c.ActiveStreamIds);
    }

    [Fact]
    public void ReadableOncePerReadAndFinVisible()
    {
        var s = Server();
        s.OnStreamFrame(2, 5, new byte[5], false, 0);
        Assert.DoesNotContain(Events(s), e => e.Kind == ConnectionEventKind.StreamReadable);
        s.OnStreamFrame(2, 0, new byte[5], false, 0);
        s.OnStreamFrame(2, 10, new byte[5], false, 0);
        Assert.Single(Events(s), e => e.Kind == ConnectionEventKind.StreamReadable);
        Assert.Equal(15, s.Read(2, new byte[100], out var fin));
        Assert.False(fin);
        s.OnStreamFrame(2, 15, default, true, 0);
        Assert.Single(Events(s), e => e.Kind == ConnectionEventKind.StreamReadable);
        Assert.Equal(0, s.Read(2, new byte[100], out fin));
        Assert.True(fin);
    }

    [Fact]
    public void ApplicationMisuseThrows()
    {
        var c = Client();
        Assert.Throws<InvalidOperationException>(() => c.Write(0, new byte[1], false));
        c.TryOpenStream(false, out var uni);
        Assert.Throws<InvalidOperationException>(() => c.Read(uni, new byte[1], out _));
        c.Write(uni, new byte[1], true);
        Assert.Throws<InvalidOperationException>(() => c.Write(uni, new byte[1], false));
    }

    [Fact]
    public void DisposeReleasesEverything()
    {
        var c = Client();
        c.TryOpenStream(true, out var id);
        c.Write(id, new byte[3000], false);
        c.OnStreamFrame(id, 0, new byte[10], false, 0);
        c.Dispose();
        Assert.Empty(c.ActiveStreamIds);
        Assert.False(c.HasPendingStreamData);
    }
}
