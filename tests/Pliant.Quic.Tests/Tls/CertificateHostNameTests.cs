using System.Net;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Tls;

/// <summary>
/// Issue 11 item 6: with validation against trusted roots a server name is required, and it is matched
/// against the subjectAltNames per RFC 9525 (RFC 6125's successor): whole-leftmost-label wildcards,
/// iPAddress SANs for IP literals, never the Common Name.
/// </summary>
public class CertificateHostNameTests
{
    private static void AssertAlert(byte alert, Action action)
    {
        var ex = Assert.Throws<QuicProtocolException>(action);
        Assert.Equal((TransportErrorCode)(0x100 + alert), ex.ErrorCode);
    }

    private static TlsPair Handshake(string? serverName, System.Security.Cryptography.X509Certificates.X509Certificate2 leaf) =>
        new TlsPair(new TlsClientOptions { ServerName = serverName, Validation = TestPki.TrustTestRoot() }, TlsPair.ServerOptions(leaf)).Run();

    [Fact]
    public void SystemRootsWithoutServerName_RefusedAtConfiguration()
    {
        // Before the fix a null ServerName skipped the name check: any certificate chaining to a trusted
        // root was accepted, whoever it was issued to.
        var leaf = TestPki.Leaf("CN=someone-else.test", ["someone-else.test"]);
        var ex = Assert.Throws<ArgumentException>(() => Handshake(null, leaf));
        Assert.Contains("ServerName", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Handshake("", leaf));
    }

    [Fact]
    public void PinnedAndInsecure_NeedNoServerName()
    {
        var leaf = TestPki.Leaf("CN=x.test", ["x.test"]);
        var pinned = CertificateValidation.Pin(System.Security.Cryptography.SHA256.HashData(leaf.RawData));
        Assert.True(new TlsPair(new TlsClientOptions { Validation = pinned }, TlsPair.ServerOptions(leaf)).Run().Client.IsHandshakeComplete);
        Assert.True(new TlsPair(new TlsClientOptions { Validation = CertificateValidation.Insecure }, TlsPair.ServerOptions(leaf)).Run().Client.IsHandshakeComplete);
    }

    [Theory]
    [InlineData("www.example.test", true)]
    [InlineData("WWW.Example.TEST", true)]
    [InlineData("www.example.test.", true)]
    [InlineData("example.test", false)]         // the wildcard needs a label
    [InlineData("a.b.example.test", false)]     // and stands for exactly one
    [InlineData("wwwexample.test", false)]
    [InlineData("www.example.test.evil", false)]
    public void Wildcard_CoversExactlyOneLeftmostLabel(string name, bool ok)
    {
        var leaf = TestPki.Leaf("CN=example.test", ["*.example.test"]);
        if (ok) Assert.True(Handshake(name, leaf).Client.IsHandshakeComplete);
        else AssertAlert(42, () => Handshake(name, leaf));
    }

    [Fact]
    public void CommonNameIsNeverUsed()
    {
        // No SAN at all: the CN alone used to be accepted (MatchesHostname's CN fallback).
        AssertAlert(42, () => Handshake("example.test", TestPki.Leaf("CN=example.test")));
        // SANs for another name and the CN for ours.
        AssertAlert(42, () => Handshake("example.test", TestPki.Leaf("CN=example.test", ["other.test"])));
    }

    [Fact]
    public void IpLiteral_MatchesOnlyAnIpAddressSan()
    {
        var byIp = TestPki.Leaf("CN=ip", addresses: [IPAddress.Parse("192.0.2.7"), IPAddress.Parse("2001:db8::7")]);
        Assert.True(Handshake("192.0.2.7", byIp).Client.IsHandshakeComplete);
        Assert.True(Handshake("2001:db8::7", byIp).Client.IsHandshakeComplete);
        Assert.True(Handshake("2001:DB8:0::7", byIp).Client.IsHandshakeComplete);
        AssertAlert(42, () => Handshake("192.0.2.8", byIp));
        // An IP written as a dNSName is not an iPAddress identity.
        AssertAlert(42, () => Handshake("192.0.2.7", TestPki.Leaf("CN=192.0.2.7", ["192.0.2.7"])));
        // And a host name never matches an iPAddress SAN.
        AssertAlert(42, () => Handshake("ip", byIp));
    }

    [Theory]
    [InlineData("*.test", "a.test")]              // wildcard over a single-label parent
    [InlineData("f*.example.test", "foo.example.test")]  // partial-label wildcard
    [InlineData("*.*.example.test", "a.b.example.test")]
    [InlineData("www.*.test", "www.example.test")]
    public void MalformedWildcards_MatchNothing(string san, string name) =>
        Assert.False(CertificateHostName.Matches(TestPki.Leaf("CN=w", [san]), name));

    [Fact]
    public void ExactNamesAndNonAscii()
    {
        var leaf = TestPki.Leaf("CN=x", ["xn--bcher-kva.example", "plain.example"]);
        Assert.True(CertificateHostName.Matches(leaf, "xn--bcher-kva.example"));
        Assert.True(CertificateHostName.Matches(leaf, "PLAIN.example"));
        Assert.False(CertificateHostName.Matches(leaf, "bücher.example")); // U-labels must be converted by the caller
        Assert.False(CertificateHostName.Matches(leaf, ""));
        Assert.False(CertificateHostName.Matches(leaf, "plain.example\0.evil"));
    }
}
