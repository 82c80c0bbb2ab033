using System.Security.Cryptography;
using Pliant.Quic.Crypto;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Tls;

public class TlsHandshakeTests
{
    private static void AssertAlert(byte alert, Action action)
    {
        var ex = Assert.Throws<QuicProtocolException>(action);
        Assert.Equal((TransportErrorCode)(0x100 + alert), ex.ErrorCode);
    }

    [Theory]
    [InlineData(CipherSuite.Aes128GcmSha256, NamedGroup.X25519)]
    [InlineData(CipherSuite.Aes256GcmSha384, NamedGroup.X25519)]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256, NamedGroup.X25519)]
    [InlineData(CipherSuite.Aes128GcmSha256, NamedGroup.Secp256r1)]
    [InlineData(CipherSuite.Aes256GcmSha384, NamedGroup.Secp256r1)]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256, NamedGroup.Secp256r1)]
    public void FullHandshake_EverySuiteAndGroup(CipherSuite suite, NamedGroup group)
    {
        var client = new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure, Groups = [group] };
        var server = new TlsServerOptions { Certificate = TestCertificates.Ecdsa, CipherSuites = [suite] };
        var p = new TlsPair(client, server).Run();

        Assert.True(p.Client.IsHandshakeComplete);
        Assert.True(p.Server.IsHandshakeComplete);
        Assert.Equal(suite, p.Client.Suite);
        Assert.Equal(suite, p.Server.Suite);
        Assert.Equal("h3", p.Client.ApplicationProtocol);
        Assert.Equal("h3", p.Server.ApplicationProtocol);
        Assert.Equal("localhost", p.Server.ServerName);
        Assert.Equal(TlsPair.ServerParams, p.Client.PeerTransportParameters);
        Assert.Equal(TlsPair.ClientParams, p.Server.PeerTransportParameters);
        Assert.False(p.Client.IsResumed);
        Assert.NotNull(p.Client.PeerCertificate);
        p.AssertSecretsMatch(EncryptionLevel.Handshake, EncryptionLevel.OneRtt);
        Assert.All(p.ClientEvents.Where(e => e.Secret is not null), e => Assert.Equal(suite, e.Suite));
        Assert.All(p.ClientEvents.Where(e => e.Secret is not null), e => Assert.Equal(suite.HashLength(), e.Secret!.Length));

        Assert.Equal(
            "HandshakeData(Initial), ReadSecret(Handshake), WriteSecret(Handshake), PeerTransportParameters, ReadSecret(OneRtt), HandshakeData(Handshake), WriteSecret(OneRtt), HandshakeComplete",
            p.Kinds(p.ClientEvents));
        Assert.Equal(
            "PeerTransportParameters, HandshakeData(Initial), WriteSecret(Handshake), ReadSecret(Handshake), HandshakeData(Handshake), WriteSecret(OneRtt), ReadSecret(OneRtt), HandshakeComplete",
            p.Kinds(p.ServerEvents));
    }

    [Fact]
    public void ServerPicksItsPreferredSuiteAmongTheOffer()
    {
        var client = new TlsClientOptions
        {
            Validation = CertificateValidation.Insecure,
            CipherSuites = [CipherSuite.Aes128GcmSha256, CipherSuite.ChaCha20Poly1305Sha256],
        };
        var server = new TlsServerOptions
        {
            Certificate = TestCertificates.Ecdsa,
            CipherSuites = [CipherSuite.Aes256GcmSha384, CipherSuite.ChaCha20Poly1305Sha256, CipherSuite.Aes128GcmSha256],
        };
        var p = new TlsPair(client, server).Run();
        Assert.Equal(CipherSuite.ChaCha20Poly1305Sha256, p.Client.Suite);
    }

    [Fact]
    public void NoCommonSuite_HandshakeFailure()
    {
        var client = new TlsClientOptions { Validation = CertificateValidation.Insecure, CipherSuites = [CipherSuite.Aes128GcmSha256] };
        var server = new TlsServerOptions { Certificate = TestCertificates.Ecdsa, CipherSuites = [CipherSuite.Aes256GcmSha384] };
        AssertAlert(40, () => new TlsPair(client, server).Run());
    }

    [Fact]
    public void MessagesDeliveredByteByByte()
    {
        var p = new TlsPair(TlsPair.ClientOptions(), TlsPair.ServerOptions()) { Trickle = true }.Run();
        Assert.True(p.Client.IsHandshakeComplete && p.Server.IsHandshakeComplete);
        p.AssertSecretsMatch(EncryptionLevel.Handshake, EncryptionLevel.OneRtt);
    }

    [Fact]
    public void HelloRetryRequest_WhenServerOnlyAllowsP256()
    {
        var client = new TlsClientOptions { Validation = CertificateValidation.Insecure, Groups = [NamedGroup.X25519, NamedGroup.Secp256r1] };
        var server = new TlsServerOptions { Certificate = TestCertificates.Ecdsa, Groups = [NamedGroup.Secp256r1] };
        var p = new TlsPair(client, server).Run();
        Assert.True(p.Client.IsHandshakeComplete && p.Server.IsHandshakeComplete);
        Assert.Equal(2, p.ClientEvents.Count(e => e.Kind == TlsEventKind.HandshakeData && e.Level == EncryptionLevel.Initial));
        Assert.Equal(2, p.ServerEvents.Count(e => e.Kind == TlsEventKind.HandshakeData && e.Level == EncryptionLevel.Initial));
        p.AssertSecretsMatch(EncryptionLevel.Handshake, EncryptionLevel.OneRtt);
    }

    [Fact]
    public void NoCommonGroup_HandshakeFailure()
    {
        var client = new TlsClientOptions { Validation = CertificateValidation.Insecure, Groups = [NamedGroup.X25519] };
        var server = new TlsServerOptions { Certificate = TestCertificates.Ecdsa, Groups = [NamedGroup.Secp256r1] };
        AssertAlert(40, () => new TlsPair(client, server).Run());
    }

    [Fact]
    public void RsaCertificate_UsesRsaPss()
    {
        var p = new TlsPair(TlsPair.ClientOptions(), TlsPair.ServerOptions(TestCertificates.Rsa)).Run();
        Assert.True(p.Client.IsHandshakeComplete && p.Server.IsHandshakeComplete);
        Assert.Equal(TestCertificates.Rsa.RawData, p.Client.PeerCertificate!.RawData);
    }

    [Fact]
    public void AlpnMismatch_NoApplicationProtocol()
    {
        var client = new TlsClientOptions { Validation = CertificateValidation.Insecure, ApplicationProtocols = ["hq-interop"] };
        AssertAlert(120, () => new TlsPair(client, TlsPair.ServerOptions()).Run());
    }

    [Fact]
    public void AlpnServerPreferenceWins()
    {
        var client = new TlsClientOptions { Validation = CertificateValidation.Insecure, ApplicationProtocols = ["a", "b", "c"] };
        var server = new TlsServerOptions { Certificate = TestCertificates.Ecdsa, ApplicationProtocols = ["c", "b"] };
        var p = new TlsPair(client, server).Run();
        Assert.Equal("c", p.Client.ApplicationProtocol);
    }

    [Fact]
    public void Pinned_MatchSucceeds_MismatchFails()
    {
        byte[] good = SHA256.HashData(TestCertificates.Ecdsa.RawData);
        var ok = new TlsPair(TlsPair.ClientOptions(CertificateValidation.Pin(good)), TlsPair.ServerOptions()).Run();
        Assert.True(ok.Client.IsHandshakeComplete);

        byte[] bad = SHA256.HashData(TestCertificates.Rsa.RawData);
        AssertAlert(42, () => new TlsPair(TlsPair.ClientOptions(CertificateValidation.Pin(bad)), TlsPair.ServerOptions()).Run());
    }

    [Fact]
    public void SystemRoots_WithExtraRoot_Succeeds()
    {
        var validation = new CertificateValidation { ExtraRoots = [TestCertificates.Root] };
        var client = new TlsClientOptions { ServerName = "example.test", Validation = validation };
        var p = new TlsPair(client, TlsPair.ServerOptions(TestCertificates.LeafSignedByRoot)).Run();
        Assert.True(p.Client.IsHandshakeComplete);
    }

    [Fact]
    public void SystemRoots_WrongHostName_BadCertificate()
    {
        var validation = new CertificateValidation { ExtraRoots = [TestCertificates.Root] };
        var client = new TlsClientOptions { ServerName = "other.test", Validation = validation };
        AssertAlert(42, () => new TlsPair(client, TlsPair.ServerOptions(TestCertificates.LeafSignedByRoot)).Run());
    }

    [Fact]
    public void SystemRoots_UntrustedRoot_UnknownCa()
    {
        var client = new TlsClientOptions { ServerName = "example.test", Validation = CertificateValidation.System };
        AssertAlert(48, () => new TlsPair(client, TlsPair.ServerOptions(TestCertificates.LeafSignedByRoot)).Run());
    }

    [Fact]
    public void SystemRoots_Expired_CertificateExpired()
    {
        var validation = new CertificateValidation { ExtraRoots = [TestCertificates.Root] };
        var client = new TlsClientOptions
        {
            ServerName = "example.test",
            Validation = validation,
            Time = new FixedTime(DateTimeOffset.UtcNow.AddDays(45)),
        };
        AssertAlert(45, () => new TlsPair(client, TlsPair.ServerOptions(TestCertificates.LeafSignedByRoot)).Run());
    }

    [Fact]
    public void ServerSendsChain_ClientValidatesThroughIt()
    {
        var validation = new CertificateValidation { ExtraRoots = [TestCertificates.Root] };
        var client = new TlsClientOptions { ServerName = "example.test", Validation = validation };
        var server = new TlsServerOptions { Certificate = TestCertificates.LeafSignedByRoot, Chain = [TestCertificates.Root] };
        Assert.True(new TlsPair(client, server).Run().Client.IsHandshakeComplete);
    }

    internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
