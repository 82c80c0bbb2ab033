using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pliant.Quic.Tls;

namespace Pliant.Net.Tests.Api;

/// <summary>
/// Issue 11 item 6 in Pliant.Net: a client that gives no ServerName and validates against trusted roots
/// checks the certificate against the IP address it connects to (an iPAddress subjectAltName); before,
/// any certificate chaining to a trusted root was accepted.
/// </summary>
public class ServerIdentityTests
{
    private static readonly Lazy<(X509Certificate2 Root, ECDsa Key)> Ca = new(() =>
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=Pliant Net Test Root", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return (req.CreateSelfSigned(now.AddDays(-2), now.AddDays(30)), key);
    });

    private static X509Certificate2 Leaf(Action<SubjectAlternativeNameBuilder> sans)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        sans(san);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var issued = req.Create(Ca.Value.Root, now.AddDays(-1), now.AddDays(10), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    private static async Task ConnectAsync(X509Certificate2 serverCertificate)
    {
        var listenerOptions = QuicTestPair.ListenerOptions(fake: false);
        listenerOptions.ServerCertificate = serverCertificate;
        await using var listener = await QuicListener.ListenAsync(listenerOptions);
        var client = QuicTestPair.ClientOptions(false, listener.LocalEndPoint);
        client.ServerName = null;
        client.CertificateValidation = new CertificateValidation { ExtraRoots = [Ca.Value.Root] };
        using var cts = new CancellationTokenSource(QuicTestPair.Timeout);
        _ = listener.AcceptConnectionAsync(cts.Token).AsTask().ContinueWith(t => t.Exception, TaskScheduler.Default);
        await using var connection = await QuicConnection.ConnectAsync(client, cts.Token);
    }

    [Fact]
    public async Task NoServerName_CertificateForTheAddress_Accepted() =>
        await ConnectAsync(Leaf(s => s.AddIpAddress(IPAddress.Loopback)));

    [Fact]
    public async Task NoServerName_TrustedCertificateForAnotherName_Refused()
    {
        var ex = await Assert.ThrowsAsync<QuicException>(() => ConnectAsync(Leaf(s => s.AddDnsName("bank.example"))));
        Assert.Contains("does not match", ex.Message, StringComparison.Ordinal);
    }
}
