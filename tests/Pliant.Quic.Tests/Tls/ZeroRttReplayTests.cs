using System.Security.Cryptography;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Tls;

/// <summary>
/// Issue 11 item 5 at the TLS layer: the server accepts the 0-RTT data of one ClientHello at most once
/// (RFC 8446 §8.2 ClientHello recording), only within the ticket-age window (§8.3), with a bounded
/// register that refuses 0-RTT rather than grow.
/// </summary>
public class ZeroRttReplayTests
{
    private static TlsServerOptions Server(byte[] ticketKey, ZeroRttAntiReplay? register = null, TimeProvider? time = null) => new()
    {
        Certificate = TestCertificates.Ecdsa,
        TicketKey = ticketKey,
        EnableEarlyData = true,
        AntiReplay = register,
        Time = time ?? TimeProvider.System,
    };

    private static TlsClientOptions Client(TlsSessionTicket? ticket = null, TimeProvider? time = null) => new()
    {
        ServerName = "localhost",
        Validation = CertificateValidation.Insecure,
        ResumptionTicket = ticket,
        EnableEarlyData = ticket is not null,
        Time = time ?? TimeProvider.System,
    };

    private static TlsSessionTicket Ticket(TlsServerOptions server, TimeProvider? clientTime = null)
    {
        var p = new TlsPair(Client(time: clientTime), server).Run();
        return Assert.Single(p.ClientEvents, e => e.Kind == TlsEventKind.NewSessionTicket).Ticket!;
    }

    /// <summary>The resuming client's ClientHello (with early_data), as it would go on the wire.</summary>
    private static byte[] EarlyClientHello(TlsSessionTicket ticket, TimeProvider? time = null)
    {
        var client = TlsHandshake.CreateClient(Client(ticket, time), TlsPair.ClientParams);
        client.Start();
        Assert.True(client.TryPollEvent(out var hello));
        return hello.Data!;
    }

    /// <summary>A fresh server connection given <paramref name="clientHello"/>; its events.</summary>
    private static (TlsHandshake Server, List<TlsEvent> Events) Receive(TlsServerOptions options, byte[] clientHello)
    {
        var server = TlsHandshake.CreateServer(options, TlsPair.ServerParams);
        server.HandleCryptoData(EncryptionLevel.Initial, clientHello);
        var events = new List<TlsEvent>();
        while (server.TryPollEvent(out var e)) events.Add(e);
        return (server, events);
    }

    private static bool HasZeroRttReadKey(List<TlsEvent> events) =>
        events.Exists(e => e.Kind == TlsEventKind.ReadSecret && e.Level == EncryptionLevel.ZeroRtt);

    [Fact]
    public void SameClientHelloTwice_SecondIsRefusedZeroRtt()
    {
        var options = Server(RandomNumberGenerator.GetBytes(32));
        var ticket = Ticket(options);
        byte[] hello = EarlyClientHello(ticket);

        var (first, firstEvents) = Receive(options, hello);
        Assert.True(first.EarlyDataAccepted);
        Assert.Equal(ZeroRttDecision.Accepted, first.EarlyDataDecision);
        Assert.True(HasZeroRttReadKey(firstEvents));

        // The attacker's copy, to another connection of the same server: the PSK is still good (the
        // attacker cannot finish the handshake anyway) but there is no 0-RTT key to read the replayed data.
        var (replay, replayEvents) = Receive(options, hello);
        Assert.False(replay.EarlyDataAccepted);
        Assert.Equal(ZeroRttDecision.Replayed, replay.EarlyDataDecision);
        Assert.True(replay.IsResumed);
        Assert.False(HasZeroRttReadKey(replayEvents));
        Assert.Contains(replayEvents, e => e.Kind == TlsEventKind.WriteSecret && e.Level == EncryptionLevel.Handshake);
        Assert.Equal(1, ZeroRttAntiReplay.ForTicketKey(options.TicketKey!).CountOf(ZeroRttDecision.Replayed));
    }

    [Fact]
    public void ReplayToAnotherServerWithTheSameKeyArray_Refused()
    {
        // Two listeners (two option objects) holding one ticket key array share one register by default.
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var ticket = Ticket(Server(key));
        byte[] hello = EarlyClientHello(ticket);
        Assert.True(Receive(Server(key), hello).Server.EarlyDataAccepted);
        Assert.False(Receive(Server(key), hello).Server.EarlyDataAccepted);
    }

    [Fact]
    public void AStoppedRegister_RefusesFreshZeroRttButTheHandshakeResumes()
    {
        // A draining serve --reuseport generation: its successor (same ticket key, its own register) may have accepted
        // this ClientHello; a copy steered here must not be accepted again.
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var options = Server(key);
        var ticket = Ticket(options);
        ZeroRttAntiReplay.ForTicketKey(key).StopAccepting();
        var (server, events) = Receive(options, EarlyClientHello(ticket));
        Assert.Equal(ZeroRttDecision.Stopped, server.EarlyDataDecision);
        Assert.False(server.EarlyDataAccepted);
        Assert.True(server.IsResumed);
        Assert.False(HasZeroRttReadKey(events));
        Assert.True(ZeroRttAntiReplay.ForTicketKey(key).IsStopped);
        Assert.Equal(1, ZeroRttAntiReplay.ForTicketKey(key).CountOf(ZeroRttDecision.Stopped));
        Assert.Equal(0, ZeroRttAntiReplay.ForTicketKey(key).Count);
    }

    [Fact]
    public void ReplayedClientHello_HandshakeStillCompletesForTheRealClient()
    {
        // The legitimate client whose hello was replayed first still gets a (1-RTT) connection.
        var options = Server(RandomNumberGenerator.GetBytes(32));
        var ticket = Ticket(options);
        var p = new TlsPair(Client(ticket), options);
        p.Client.Start();
        Assert.True(p.Client.TryPollEvent(out var hello));
        p.ClientEvents.Add(hello);
        Receive(options, hello.Data!); // an attacker got there first
        p.Server.HandleCryptoData(EncryptionLevel.Initial, hello.Data!);
        p.Pump();
        Assert.True(p.Client.IsHandshakeComplete && p.Server.IsHandshakeComplete);
        Assert.True(p.Client.IsResumed);
        Assert.False(p.Client.EarlyDataAccepted);
        Assert.Contains(p.ClientEvents, e => e.Kind == TlsEventKind.EarlyDataRejected);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(4_900, true)]     // the ClientHello is late (slow path): within MaxLate = 5 s
    [InlineData(5_100, false)]
    [InlineData(-900, true)]      // early: only clock error explains it; within MaxEarly = 1 s
    [InlineData(-1_100, false)]
    [InlineData(-9_000, false)]   // the old ±10 s window accepted these
    [InlineData(9_000, false)]
    public void TicketAgeWindow(int serverAheadMs, bool accepted)
    {
        // The server's clock runs serverAheadMs ahead of the client's between ticket and resumption: the
        // client reports an age that much younger than the server measures.
        var start = DateTimeOffset.UtcNow;
        var serverTime = new TlsHandshakeTests.FixedTime(start);
        var clientTime = new TlsHandshakeTests.FixedTime(start);
        var options = Server(RandomNumberGenerator.GetBytes(32), new ZeroRttAntiReplay(time: serverTime), serverTime);
        var ticket = Ticket(options, clientTime);
        clientTime.Now = start.AddMinutes(10);
        serverTime.Now = start.AddMinutes(10).AddMilliseconds(serverAheadMs);
        var (server, _) = Receive(options, EarlyClientHello(ticket, clientTime));
        Assert.Equal(accepted, server.EarlyDataAccepted);
        Assert.Equal(accepted ? ZeroRttDecision.Accepted : ZeroRttDecision.NotFresh, server.EarlyDataDecision);
    }

    [Fact]
    public void TicketFromBeforeTheRegisterStarted_RefusedWhileTheWindowOverlapsTheStart()
    {
        // RFC 8446 §8.2: after a restart, a ClientHello the previous instance may have accepted is refused.
        var start = DateTimeOffset.UtcNow;
        var time = new TlsHandshakeTests.FixedTime(start);
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var ticket = Ticket(Server(key, new ZeroRttAntiReplay(time: time), time), time);
        time.Now = start.AddSeconds(30);
        byte[] hello = EarlyClientHello(ticket, time);
        var restarted = Server(key, new ZeroRttAntiReplay(time: time), time);
        Assert.Equal(ZeroRttDecision.BeforeStart, Receive(restarted, hello).Server.EarlyDataDecision);
        // A ClientHello sent later than the window after the restart is fine again.
        time.Now = start.AddSeconds(32);
        Assert.Equal(ZeroRttDecision.Accepted, Receive(restarted, EarlyClientHello(ticket, time)).Server.EarlyDataDecision);
    }

    [Fact]
    public void Register_IsBoundedAndRefusesWhenFull()
    {
        var time = new TlsHandshakeTests.FixedTime(DateTimeOffset.UtcNow);
        var register = new ZeroRttAntiReplay(capacity: 3, time: time);
        long now = time.Now.ToUnixTimeMilliseconds();
        byte[] Binder(int i) => SHA256.HashData(BitConverter.GetBytes(i));
        for (int i = 0; i < 3; i++) Assert.Equal(ZeroRttDecision.Accepted, register.TryAccept(Binder(i), now, 0, now));
        Assert.Equal(ZeroRttDecision.Full, register.TryAccept(Binder(3), now, 0, now));
        Assert.Equal(ZeroRttDecision.Replayed, register.TryAccept(Binder(1), now, 0, now));
        Assert.Equal(3, register.Count);
        // Entries live until expected arrival + MaxLate; then the space is reused.
        long later = now + (long)ZeroRttAntiReplay.DefaultMaxLate.TotalMilliseconds + 1;
        Assert.Equal(ZeroRttDecision.Accepted, register.TryAccept(Binder(3), later, 0, later));
        Assert.Equal(1, register.Count);
        // A replay can no longer be fresh once its entry has gone.
        Assert.Equal(ZeroRttDecision.NotFresh, register.TryAccept(Binder(1), now, 0, later));
    }

    [Fact]
    public void Register_HoldsAtMostCapacityUnderAFlood()
    {
        var time = new TlsHandshakeTests.FixedTime(DateTimeOffset.UtcNow);
        var register = new ZeroRttAntiReplay(capacity: 1000, time: time);
        long now = time.Now.ToUnixTimeMilliseconds();
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            // 20,000 distinct fresh ClientHellos within one second.
            long t = now + i / 20;
            if (register.TryAccept(SHA256.HashData(BitConverter.GetBytes(i)), t, 0, t) == ZeroRttDecision.Accepted) accepted++;
            Assert.True(register.Count <= 1000);
        }
        Assert.Equal(1000, accepted);
        Assert.Equal(19_000, register.CountOf(ZeroRttDecision.Full));
    }

    [Fact]
    public void Register_ConcurrentReplays_ExactlyOneAccepted()
    {
        var register = new ZeroRttAntiReplay();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        byte[] binder = SHA256.HashData("one ClientHello"u8);
        int accepted = 0;
        Parallel.For(0, 64, _ =>
        {
            if (register.TryAccept(binder, now, 0, now) == ZeroRttDecision.Accepted) Interlocked.Increment(ref accepted);
        });
        Assert.Equal(1, accepted);
        Assert.Equal(63, register.CountOf(ZeroRttDecision.Replayed));
    }
}
