using System.Net;
using System.Net.Sockets;

namespace Pliant.Net.Tests.Api;

public class ListenerTests
{
    [Fact]
    public Task Dispose_ReleasesThePort() => Dispose_ReleasesThePortCore(fake: false);

    [Fact]
    public Task Dispose_ReleasesThePort_FakeCore() => Dispose_ReleasesThePortCore(fake: true);

    private static async Task Dispose_ReleasesThePortCore(bool fake)
    {
        var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions(fake));
        int port = listener.LocalEndPoint.Port;
        Assert.NotEqual(0, port);

        await listener.DisposeAsync().AsTask().WaitAsync(QuicTestPair.Timeout);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port)); // throws AddressAlreadyInUse if still held
    }

    [Fact]
    public Task Listen_RequiresAlpnAndPrivateKey() => Listen_RequiresAlpnAndPrivateKeyCore(fake: false);

    [Fact]
    public Task Listen_RequiresAlpnAndPrivateKey_FakeCore() => Listen_RequiresAlpnAndPrivateKeyCore(fake: true);

    private static async Task Listen_RequiresAlpnAndPrivateKeyCore(bool fake)
    {
        var options = QuicTestPair.ListenerOptions(fake);
        options.ApplicationProtocols = [];
        await Assert.ThrowsAsync<ArgumentException>(async () => await QuicListener.ListenAsync(options));

        options = QuicTestPair.ListenerOptions(fake);
        using var publicOnly = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(QuicTestPair.Certificate.RawData);
        options.ServerCertificate = publicOnly;
        await Assert.ThrowsAsync<ArgumentException>(async () => await QuicListener.ListenAsync(options));
    }

    [Fact]
    public Task AcceptAfterDispose_Throws() => AcceptAfterDispose_ThrowsCore(fake: false);

    [Fact]
    public Task AcceptAfterDispose_Throws_FakeCore() => AcceptAfterDispose_ThrowsCore(fake: true);

    private static async Task AcceptAfterDispose_ThrowsCore(bool fake)
    {
        var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions(fake));
        await listener.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptConnectionAsync());
    }

    [Fact]
    public Task AcceptConnection_IsCancellable() => AcceptConnection_IsCancellableCore(fake: false);

    [Fact]
    public Task AcceptConnection_IsCancellable_FakeCore() => AcceptConnection_IsCancellableCore(fake: true);

    private static async Task AcceptConnection_IsCancellableCore(bool fake)
    {
        await using var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions(fake));
        using var cts = new CancellationTokenSource();
        var accept = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await Task.Delay(50);
        Assert.False(accept.IsCompleted);

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accept.WaitAsync(QuicTestPair.Timeout));
        // The listener still works after a cancelled accept.
        var next = listener.AcceptConnectionAsync().AsTask();
        await using var client = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(fake, listener.LocalEndPoint));
        await using var server = await next.WaitAsync(QuicTestPair.Timeout);
        Assert.Equal(QuicTestPair.Alpn, server.NegotiatedApplicationProtocol);
    }

    [Fact]
    public Task Dispose_WithConnections_ReleasesThePortOnceAllAreDisposed() => Dispose_WithConnections_ReleasesThePortOnceAllAreDisposedCore(fake: false);

    [Fact]
    public Task Dispose_WithConnections_ReleasesThePortOnceAllAreDisposed_FakeCore() => Dispose_WithConnections_ReleasesThePortOnceAllAreDisposedCore(fake: true);

    private static async Task Dispose_WithConnections_ReleasesThePortOnceAllAreDisposedCore(bool fake)
    {
        var pair = await QuicTestPair.CreateAsync(fake);
        int port = pair.Listener.LocalEndPoint.Port;
        await pair.DisposeAsync();

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
    }
}
