namespace Pliant.Net.Tests.Api;

public class CloseTests
{
    [Fact]
    public Task ServerClose_FailsClientOperationsWithConnectionAborted() => ServerClose_FailsClientOperationsWithConnectionAbortedCore(fake: false);

    [Fact]
    public Task ServerClose_FailsClientOperationsWithConnectionAborted_FakeCore() => ServerClose_FailsClientOperationsWithConnectionAbortedCore(fake: true);

    private static async Task ServerClose_FailsClientOperationsWithConnectionAbortedCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake);
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

    [Fact]
    public async Task WaitingForAcknowledgements_ThenClosing_LosesNoData()
    {
        // A graceful close (HTTP/3 GOAWAY, serve --reuseport drain) waits for the peer's acknowledgements first:
        // CloseAsync discards what is unacknowledged, so without the wait the tail of the data below is cut off.
        await using var pair = await QuicTestPair.CreateAsync(fake: false);
        var data = new byte[4 << 20];
        new Random(17).NextBytes(data);
        var received = Task.Run(async () =>
        {
            await using var s = await pair.Client.AcceptInboundStreamAsync();
            using var ms = new MemoryStream();
            await s.CopyToAsync(ms);
            return ms.ToArray();
        });
        await using (var stream = await pair.Server.OpenOutboundStreamAsync(QuicStreamType.Unidirectional))
            await stream.WriteAsync(data, completeWrites: true).AsTask().WaitAsync(QuicTestPair.Timeout);
        await pair.Server.WaitForSendsAcknowledgedAsync().WaitAsync(QuicTestPair.Timeout);
        await pair.Server.CloseAsync(0);
        var got = await received.WaitAsync(QuicTestPair.Timeout);
        Assert.Equal(data.Length, got.Length);
        Assert.True(data.AsSpan().SequenceEqual(got));
        // Once closed, the wait returns at once.
        await pair.Server.WaitForSendsAcknowledgedAsync().WaitAsync(QuicTestPair.Timeout);
    }

    [Fact]
    public async Task AcceptOrNull_EndsWithNullInsteadOfAnException()
    {
        // Accept loops end this way on every connection: no exception (issue 17), but streams still arrive first.
        await using var pair = await QuicTestPair.CreateAsync(fake: false);
        await using var opened = await pair.Server.OpenOutboundStreamAsync(QuicStreamType.Unidirectional);
        await opened.WriteAsync(new byte[] { 1 }, completeWrites: true);
        var first = await pair.Client.AcceptInboundStreamOrNullAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
        Assert.NotNull(first);
        await first!.DisposeAsync();
        var pending = pair.Client.AcceptInboundStreamOrNullAsync().AsTask();
        await pair.Server.CloseAsync(7);
        Assert.Null(await pending.WaitAsync(QuicTestPair.Timeout));
        Assert.Null(await pair.Client.AcceptInboundStreamOrNullAsync().AsTask().WaitAsync(QuicTestPair.Timeout));
        await pair.Client.DisposeAsync();
        Assert.Null(await pair.Client.AcceptInboundStreamOrNullAsync());
    }

    [Fact]
    public Task LocalClose_FailsPendingOperationsWithOperationAborted() => LocalClose_FailsPendingOperationsWithOperationAbortedCore(fake: false);

    [Fact]
    public Task LocalClose_FailsPendingOperationsWithOperationAborted_FakeCore() => LocalClose_FailsPendingOperationsWithOperationAbortedCore(fake: true);

    private static async Task LocalClose_FailsPendingOperationsWithOperationAbortedCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake);
        var accept = pair.Client.AcceptInboundStreamAsync().AsTask();

        await pair.Client.CloseAsync(0);

        var ex = await Assert.ThrowsAsync<QuicException>(() => accept.WaitAsync(QuicTestPair.Timeout));
        Assert.Equal(QuicError.OperationAborted, ex.QuicError);
    }

    [Fact]
    public Task IdleTimeout_ClosesWithConnectionIdle() => IdleTimeout_ClosesWithConnectionIdleCore(fake: false);

    private static async Task IdleTimeout_ClosesWithConnectionIdleCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake, o => o.IdleTimeout = TimeSpan.FromMilliseconds(500));
        var accept = pair.Client.AcceptInboundStreamAsync().AsTask();

        var ex = await Assert.ThrowsAsync<QuicException>(() => accept.WaitAsync(QuicTestPair.Timeout));
        Assert.Equal(QuicError.ConnectionIdle, ex.QuicError);
    }

    [Fact]
    public Task ClientDispose_ReleasesItsPort() => ClientDispose_ReleasesItsPortCore(fake: false);

    [Fact]
    public Task ClientDispose_ReleasesItsPort_FakeCore() => ClientDispose_ReleasesItsPortCore(fake: true);

    private static async Task ClientDispose_ReleasesItsPortCore(bool fake)
    {
        await using var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions(fake));
        var accept = listener.AcceptConnectionAsync().AsTask();
        var client = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(fake, listener.LocalEndPoint));
        await using var server = await accept.WaitAsync(QuicTestPair.Timeout);
        int port = client.LocalEndPoint.Port;

        await client.DisposeAsync();

        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
            System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, port));
    }
}
