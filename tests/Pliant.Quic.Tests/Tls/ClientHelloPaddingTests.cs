using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Tls;

/// <summary>
/// <see cref="TlsClientOptions.ClientHelloPadding"/> (RFC 7685 padding extension, for ClientHellos that span several
/// Initial packets): the hello grows by the padding, the handshake completes, and with a ticket the pre_shared_key
/// stays the last extension and its binder covers the padding (the server resumes).
/// </summary>
public sealed class ClientHelloPaddingTests
{
    private static readonly byte[] TicketKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray();

    private static TlsServerOptions Server() => new() { Certificate = TestCertificates.Ecdsa, TicketKey = TicketKey };

    private static TlsClientOptions Client(int padding, TlsSessionTicket? ticket = null) => new()
    {
        ServerName = "localhost",
        Validation = CertificateValidation.Insecure,
        ClientHelloPadding = padding,
        ResumptionTicket = ticket,
    };

    private static int HelloLength(TlsPair p) =>
        p.ClientEvents.First(e => e.Kind == TlsEventKind.HandshakeData && e.Level == EncryptionLevel.Initial).Data!.Length;

    [Fact]
    public void APaddedHelloIsLargerAndTheHandshakeCompletes()
    {
        var plain = new TlsPair(Client(0), Server()).Run();
        var padded = new TlsPair(Client(2000), Server()).Run();
        Assert.True(padded.Client.IsHandshakeComplete && padded.Server.IsHandshakeComplete);
        Assert.Equal(HelloLength(plain) + 2000 + 4, HelloLength(padded)); // 2 bytes type + 2 bytes length + the zeros
        padded.AssertSecretsMatch(EncryptionLevel.Handshake, EncryptionLevel.OneRtt);
    }

    [Fact]
    public void AResumedPaddedHelloKeepsThePskLastAndItsBinderValid()
    {
        var first = new TlsPair(Client(0), Server()).Run();
        var ticket = Assert.Single(first.ClientEvents, e => e.Kind == TlsEventKind.NewSessionTicket).Ticket!;
        var p = new TlsPair(Client(1500, ticket), Server()).Run();
        Assert.True(p.Client.IsResumed);
        Assert.True(p.Server.IsResumed);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(TlsClientOptions.MaxClientHelloPadding + 1)]
    public void PaddingOutOfRangeIsRefused(int padding)
    {
        Assert.Throws<ArgumentException>(() => TlsHandshake.CreateClient(Client(padding), TlsPair.ClientParams));
    }
}
