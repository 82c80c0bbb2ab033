namespace Pliant.Net.Tests.Api;

/// <summary>
/// Where the application's awaits resume (issue 17): accepts resume on the endpoint's own thread after its pass,
/// like stream reads, instead of hopping through the thread pool; and the long-lived readers of a connection
/// learn of its close without an exception.
/// </summary>
public class ContinuationPlacementTests
{
    private static bool OnEndpointThread() => Thread.CurrentThread.Name?.StartsWith("quic ", StringComparison.Ordinal) == true;

    [Fact]
    public async Task AcceptingAConnectionAndAStreamResumesOnTheEndpointThread()
    {
        using var cts = new CancellationTokenSource(QuicTestPair.Timeout);
        await using var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions(fake: false), cts.Token);
        var accepted = AcceptAndRecordAsync(listener, cts.Token);
        await using var client = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(fake: false, listener.LocalEndPoint), cts.Token);
        await using var stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token);
        await stream.WriteAsync(new byte[] { 42 }, completeWrites: true, cts.Token);
        var (server, connectionOnEndpoint, streamOnEndpoint) = await accepted.WaitAsync(QuicTestPair.Timeout);
        await using (server)
        {
            Assert.True(connectionOnEndpoint, "AcceptConnectionAsync resumed off the endpoint thread");
            Assert.True(streamOnEndpoint, "AcceptInboundStreamAsync resumed off the endpoint thread");
        }
    }

    private static async Task<(QuicConnection, bool, bool)> AcceptAndRecordAsync(QuicListener listener, CancellationToken ct)
    {
        await Task.Yield();
        var connection = await listener.AcceptConnectionAsync(ct).ConfigureAwait(false);
        bool connectionOnEndpoint = OnEndpointThread();
        var stream = await connection.AcceptInboundStreamAsync(ct).ConfigureAwait(false);
        bool streamOnEndpoint = OnEndpointThread();
        await stream.DisposeAsync().ConfigureAwait(false);
        return (connection, connectionOnEndpoint, streamOnEndpoint);
    }

    [Fact]
    public async Task ASecondConcurrentStreamAcceptIsRefused_AndTheFirstStillWorks()
    {
        await using var pair = await QuicTestPair.CreateAsync(fake: false);
        var first = pair.Server.AcceptInboundStreamAsync().AsTask();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await pair.Server.AcceptInboundStreamAsync());
        await using var opened = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Unidirectional);
        await opened.WriteAsync(new byte[] { 1 }, completeWrites: true);
        await using var got = await first.WaitAsync(QuicTestPair.Timeout);
        Assert.Equal(opened.Id, got.Id);
    }

    [Fact]
    public async Task TryReadReportsAClosedConnectionAsMinusOne_WhereReadThrows()
    {
        await using var pair = await QuicTestPair.CreateAsync(fake: false);
        await using var opened = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        await opened.WriteAsync(new byte[] { 7 });
        await using var stream = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
        var buffer = new byte[16];
        Assert.Equal(1, await stream.TryReadAsync(buffer));
        Assert.Null(stream.ReadFailure);
        var pending = stream.TryReadAsync(buffer).AsTask(); // waits: no data yet
        await pair.Client.CloseAsync(9);
        Assert.Equal(-1, await pending.WaitAsync(QuicTestPair.Timeout));
        var failure = Assert.IsType<QuicException>(stream.ReadFailure);
        Assert.Equal(QuicError.ConnectionAborted, failure.QuicError);
        Assert.Equal(-1, await stream.TryReadAsync(buffer)); // stays failed
        await Assert.ThrowsAsync<QuicException>(async () => _ = await stream.ReadAsync(buffer));
    }
}
