using Pliant.Quic.Tls;

namespace Pliant.Net.Tests.Api;

public class ZeroRttTests
{
    [Fact]
    public async Task ResumingClientSendsItsRequestInZeroRtt()
    {
        var options = QuicTestPair.ListenerOptions(fake: false);
        options.TicketKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        options.EnableEarlyData = true;
        await using var listener = await QuicListener.ListenAsync(options);

        // First connection: collect a ticket.
        var accept1 = listener.AcceptConnectionAsync().AsTask();
        var first = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(false, listener.LocalEndPoint));
        var got = new TaskCompletionSource<TlsSessionTicket>(TaskCreationOptions.RunContinuationsAsynchronously);
        first.SessionTicketReceived += (_, t) => got.TrySetResult(t);
        await using (await accept1.WaitAsync(QuicTestPair.Timeout))
        {
            var ticket = first.LastSessionTicket ?? await got.Task.WaitAsync(QuicTestPair.Timeout);
            await first.DisposeAsync();

            // Second connection: returns with 0-RTT keys, before the handshake completes.
            var clientOptions = QuicTestPair.ClientOptions(false, listener.LocalEndPoint);
            clientOptions.ResumptionTicket = ticket;
            clientOptions.EnableEarlyData = true;
            var accept2 = listener.AcceptConnectionAsync().AsTask();
            await using var second = await QuicConnection.ConnectAsync(clientOptions);
            Assert.False(second.HandshakeCompleted.IsCompleted);
            await using var stream = await second.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
            await stream.WriteAsync("early"u8.ToArray());
            stream.CompleteWrites();

            await using var server = await accept2.WaitAsync(QuicTestPair.Timeout);
            await using var inbound = await server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
            var buffer = new MemoryStream();
            await inbound.CopyToAsync(buffer).WaitAsync(QuicTestPair.Timeout);
            Assert.Equal("early"u8.ToArray(), buffer.ToArray());
            await second.HandshakeCompleted.WaitAsync(QuicTestPair.Timeout);
            Assert.True(second.IsResumed);
            Assert.True(second.EarlyDataAccepted);
        }
    }
}
