using System.Net;
using Pliant.Quic.Tls;

namespace Pliant.Net.Tests.Api;

public class HandshakeTests
{
    [Fact(Skip = "needs connection core")]
    public async Task ClientAndServer_Connect_OnLoopback()
    {
        await using var pair = await QuicTestPair.CreateAsync();

        Assert.Equal(QuicTestPair.Alpn, pair.Client.NegotiatedApplicationProtocol);
        Assert.Equal(QuicTestPair.Alpn, pair.Server.NegotiatedApplicationProtocol);
        Assert.True(pair.Client.IsClient);
        Assert.False(pair.Server.IsClient);
        Assert.Equal(pair.Listener.LocalEndPoint.Port, pair.Client.RemoteEndPoint.Port);
        Assert.Equal(pair.Client.LocalEndPoint.Port, pair.Server.RemoteEndPoint.Port);
    }

    [Fact(Skip = "needs connection core")]
    public async Task WrongPin_FailsTheHandshake()
    {
        await using var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions());
        var options = QuicTestPair.ClientOptions(listener.LocalEndPoint);
        options.CertificateValidation = CertificateValidation.Pin(new byte[32]);

        var ex = await Assert.ThrowsAsync<QuicException>(async () =>
            await QuicConnection.ConnectAsync(options).AsTask().WaitAsync(QuicTestPair.Timeout));
        Assert.Equal(QuicError.TransportError, ex.QuicError);
    }

    [Fact(Skip = "needs connection core")]
    public async Task NoCommonAlpn_FailsTheHandshake()
    {
        await using var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions());
        var options = QuicTestPair.ClientOptions(listener.LocalEndPoint);
        options.ApplicationProtocols = ["something-else"];

        await Assert.ThrowsAsync<QuicException>(async () =>
            await QuicConnection.ConnectAsync(options).AsTask().WaitAsync(QuicTestPair.Timeout));
    }

    [Fact(Skip = "needs connection core")]
    public async Task Connect_IsCancellable_WhenNobodyAnswers()
    {
        // A bound UDP port that never answers.
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var options = QuicTestPair.ClientOptions((IPEndPoint)silent.Client.LocalEndPoint!);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await QuicConnection.ConnectAsync(options, cts.Token).AsTask().WaitAsync(QuicTestPair.Timeout));
    }

    [Fact(Skip = "needs connection core")]
    public async Task SessionTicket_IsDeliveredToTheClient()
    {
        var options = QuicTestPair.ListenerOptions();
        options.TicketKey = new byte[32];
        await using var listener = await QuicListener.ListenAsync(options);
        var accept = listener.AcceptConnectionAsync().AsTask();
        var client = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(listener.LocalEndPoint));
        var ticket = new TaskCompletionSource<TlsSessionTicket>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionTicketReceived += (_, t) => ticket.TrySetResult(t);
        await using var server = await accept.WaitAsync(QuicTestPair.Timeout);

        var t = client.LastSessionTicket ?? await ticket.Task.WaitAsync(QuicTestPair.Timeout);
        Assert.NotEmpty(t.Ticket);
        await client.DisposeAsync();
    }
}
