using Pliant.Quic.Crypto;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Tls;

public class ResumptionTests
{
    private static readonly byte[] TicketKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    private static TlsServerOptions Server(bool earlyData, byte[]? key = null, CipherSuite[]? suites = null, NamedGroup[]? groups = null) => new()
    {
        Certificate = TestCertificates.Ecdsa,
        TicketKey = key ?? TicketKey,
        EnableEarlyData = earlyData,
        CipherSuites = suites ?? [CipherSuite.Aes128GcmSha256, CipherSuite.Aes256GcmSha384, CipherSuite.ChaCha20Poly1305Sha256],
        Groups = groups ?? [NamedGroup.X25519, NamedGroup.Secp256r1],
    };

    private static TlsClientOptions Client(TlsSessionTicket? ticket = null, bool earlyData = false, NamedGroup[]? groups = null) => new()
    {
        ServerName = "localhost",
        Validation = CertificateValidation.Insecure,
        ResumptionTicket = ticket,
        EnableEarlyData = earlyData,
        Groups = groups ?? [NamedGroup.X25519, NamedGroup.Secp256r1],
    };

    private static TlsSessionTicket FirstConnection(bool earlyData, CipherSuite[]? suites = null)
    {
        var p = new TlsPair(Client(), Server(earlyData, suites: suites)).Run();
        Assert.Equal(
            "ReadSecret(OneRtt), HandshakeComplete, HandshakeData(OneRtt)",
            string.Join(", ", p.Kinds(p.ServerEvents).Split(", ").TakeLast(3)));
        var ev = Assert.Single(p.ClientEvents, e => e.Kind == TlsEventKind.NewSessionTicket);
        var t = ev.Ticket!;
        Assert.Equal(earlyData ? 0xffffffffu : 0u, t.MaxEarlyDataSize);
        Assert.Equal("h3", t.ApplicationProtocol);
        Assert.Equal("localhost", t.ServerName);
        Assert.Equal(p.Client.Suite, t.Suite);
        return t;
    }

    [Fact]
    public void Resumption_SecondHandshakeIsResumedWithoutCertificate()
    {
        var ticket = FirstConnection(earlyData: false);
        var p = new TlsPair(Client(ticket), Server(false)).Run();
        Assert.True(p.Client.IsHandshakeComplete && p.Server.IsHandshakeComplete);
        Assert.True(p.Client.IsResumed);
        Assert.True(p.Server.IsResumed);
        Assert.Null(p.Client.PeerCertificate);
        Assert.Same(ticket, p.Client.UsedTicket);
        Assert.Null(p.Client.EarlyDataAccepted);
        p.AssertSecretsMatch(EncryptionLevel.Handshake, EncryptionLevel.OneRtt);
        // The resumed connection issues a ticket usable again.
        Assert.Single(p.ClientEvents, e => e.Kind == TlsEventKind.NewSessionTicket);
    }

    [Fact]
    public void Resumption_WithDifferentSuiteOfSameHash()
    {
        var ticket = FirstConnection(false, [CipherSuite.Aes128GcmSha256]);
        var p = new TlsPair(Client(ticket), Server(false, suites: [CipherSuite.ChaCha20Poly1305Sha256])).Run();
        Assert.True(p.Client.IsResumed);
        Assert.Equal(CipherSuite.ChaCha20Poly1305Sha256, p.Client.Suite);
    }

    [Fact]
    public void Resumption_WrongTicketKey_FallsBackToFullHandshake()
    {
        var ticket = FirstConnection(earlyData: false);
        var p = new TlsPair(Client(ticket), Server(false, key: new byte[32])).Run();
        Assert.True(p.Client.IsHandshakeComplete);
        Assert.False(p.Client.IsResumed);
        Assert.False(p.Server.IsResumed);
        Assert.NotNull(p.Client.PeerCertificate);
    }

    [Fact]
    public void Resumption_ThroughHelloRetryRequest()
    {
        var ticket = FirstConnection(earlyData: true);
        var p = new TlsPair(Client(ticket, earlyData: true), Server(true, groups: [NamedGroup.Secp256r1])).Run();
        Assert.True(p.Client.IsResumed && p.Server.IsResumed);
        // RFC 8446 §4.2.10: early data is rejected after HelloRetryRequest.
        Assert.False(p.Client.EarlyDataAccepted);
        Assert.Contains(p.ClientEvents, e => e.Kind == TlsEventKind.EarlyDataRejected);
        p.AssertSecretsMatch(EncryptionLevel.Handshake, EncryptionLevel.OneRtt);
    }

    [Fact]
    public void ZeroRtt_Accepted()
    {
        var ticket = FirstConnection(earlyData: true);
        var p = new TlsPair(Client(ticket, earlyData: true), Server(true)).Run();
        Assert.True(p.Client.EarlyDataAccepted);
        Assert.True(p.Server.EarlyDataAccepted);
        Assert.True(p.Client.IsResumed);
        p.AssertSecretsMatch(EncryptionLevel.ZeroRtt, EncryptionLevel.Handshake, EncryptionLevel.OneRtt);
        Assert.StartsWith("HandshakeData(Initial), WriteSecret(ZeroRtt), ReadSecret(Handshake)", p.Kinds(p.ClientEvents));
        Assert.StartsWith("PeerTransportParameters, ReadSecret(ZeroRtt), HandshakeData(Initial)", p.Kinds(p.ServerEvents));
        Assert.DoesNotContain(p.ClientEvents, e => e.Kind == TlsEventKind.EarlyDataRejected);
    }

    [Fact]
    public void ZeroRtt_RejectedByServer()
    {
        var ticket = FirstConnection(earlyData: true);
        var p = new TlsPair(Client(ticket, earlyData: true), Server(false)).Run();
        Assert.True(p.Client.IsHandshakeComplete);
        Assert.True(p.Client.IsResumed);
        Assert.False(p.Client.EarlyDataAccepted);
        Assert.False(p.Server.EarlyDataAccepted);
        Assert.Contains("PeerTransportParameters, EarlyDataRejected", p.Kinds(p.ClientEvents));
        Assert.DoesNotContain(p.ServerEvents, e => e.Level == EncryptionLevel.ZeroRtt);
    }

    [Fact]
    public void ZeroRtt_RejectedWhenTicketAgeDisagrees()
    {
        var ticket = FirstConnection(earlyData: true);
        var server = Server(true);
        var laterServer = new TlsServerOptions
        {
            Certificate = server.Certificate, TicketKey = server.TicketKey, EnableEarlyData = true,
            Time = new TlsHandshakeTests.FixedTime(DateTimeOffset.UtcNow.AddMinutes(2)),
        };
        var p = new TlsPair(Client(ticket, earlyData: true), laterServer).Run();
        Assert.True(p.Client.IsResumed);
        Assert.False(p.Client.EarlyDataAccepted);
    }

    [Fact]
    public void ZeroRtt_NotOfferedWhenTicketDisallows()
    {
        var ticket = FirstConnection(earlyData: false);
        var p = new TlsPair(Client(ticket, earlyData: true), Server(true)).Run();
        Assert.Null(p.Client.EarlyDataAccepted);
        Assert.DoesNotContain(p.ClientEvents, e => e.Level == EncryptionLevel.ZeroRtt);
    }

    [Fact]
    public void ExpiredTicket_NotOffered()
    {
        var ticket = FirstConnection(earlyData: false);
        var old = new TlsSessionTicket
        {
            Ticket = ticket.Ticket, ResumptionSecret = ticket.ResumptionSecret, Suite = ticket.Suite, AgeAdd = ticket.AgeAdd,
            IssuedAt = ticket.IssuedAt.AddDays(-2), Lifetime = ticket.Lifetime, ServerName = ticket.ServerName,
            ApplicationProtocol = ticket.ApplicationProtocol,
        };
        var p = new TlsPair(Client(old), Server(false)).Run();
        Assert.False(p.Client.IsResumed);
        Assert.Null(p.Client.UsedTicket);
    }

    [Fact]
    public void TamperedBinder_DecryptError()
    {
        var ticket = FirstConnection(earlyData: false);
        var p = new TlsPair(Client(ticket), Server(false))
        {
            Tamper = (fromClient, level, data) =>
            {
                if (!fromClient || level != EncryptionLevel.Initial) return data;
                var copy = (byte[])data.Clone();
                copy[^1] ^= 1; // last byte of the binder
                return copy;
            },
        };
        var ex = Assert.Throws<QuicProtocolException>(() => p.Run());
        Assert.Equal((TransportErrorCode)(0x100 + 51), ex.ErrorCode);
    }
}
