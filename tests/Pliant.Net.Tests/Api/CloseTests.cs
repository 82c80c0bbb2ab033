namespace Pliant.Net.Tests.Api;

public class CloseTests
{
    [Fact(Skip = "needs connection core")]
    public async Task ServerClose_FailsClientOperationsWithConnectionAborted()
    {
        await using var pair = await QuicTestPair.CreateAsync();
        await using var stream = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        var read = stream.ReadAsync(new byte[10]).AsTask();
        var accept = pair.Client.AcceptInboundStreamAsync().AsTask();

        await pair.Server.CloseAsync(123);

        var ex = await Assert.ThrowsAsync<QuicException>(() => read.WaitAsync(QuicTestPair.Timeout));
        Assert.Equal(QuicError.ConnectionAborted, ex.QuicError);
        Assert.Equal(123, ex.ApplicationErrorCode);
        var acceptEx = await Assert.ThrowsAsync<QuicException>(() => accept.WaitAsync(QuicTestPair.Timeout));
        Assert.Equal(QuicError.ConnectionAborted, acceptEx.QuicError);
        await pair.Client.Closed.WaitAsync(QuicTestPair.Timeout);
        await Assert.ThrowsAsync<QuicException>(async () => await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional));
    }

    [Fact(Skip = "needs connection core")]
    public async Task LocalClose_FailsPendingOperationsWithOperationAborted()
    {
        await using var pair = await QuicTestPair.CreateAsync();
        var accept = pair.Client.AcceptInboundStreamAsync().AsTask();

        await pair.Client.CloseAsync(0);

        var ex = await Assert.ThrowsAsync<QuicException>(() => accept.WaitAsync(QuicTestPair.Timeout));
        Assert.Equal(QuicError.OperationAborted, ex.QuicError);
    }

    [Fact(Skip = "needs connection core")]
    public async Task IdleTimeout_ClosesWithConnectionIdle()
    {
        await using var pair = await QuicTestPair.CreateAsync(o => o.IdleTimeout = TimeSpan.FromMilliseconds(500));
        var accept = pair.Client.AcceptInboundStreamAsync().AsTask();

        var ex = await Assert.ThrowsAsync<QuicException>(() => accept.WaitAsync(QuicTestPair.Timeout));
        Assert.Equal(QuicError.ConnectionIdle, ex.QuicError);
    }

    [Fact(Skip = "needs connection core")]
    public async Task ClientDispose_ReleasesItsPort()
    {
        await using var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions());
        var accept = listener.AcceptConnectionAsync().AsTask();
        var client = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(listener.LocalEndPoint));
        await using var server = await accept.WaitAsync(QuicTestPair.Timeout);
        int port = client.LocalEndPoint.Port;

        await client.DisposeAsync();

        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
            System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, port));
    }
}
