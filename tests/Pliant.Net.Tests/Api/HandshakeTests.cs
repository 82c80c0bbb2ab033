using System.Net;
using Pliant.Quic.Tls;

namespace Pliant.Net.Tests.Api;

public class HandshakeTests
{
    [Fact]
    public Task ClientAndServer_Connect_OnLoopback() => ClientAndServer_Connect_OnLoopbackCore(fake: false);

    [Fact]
    public Task ClientAndServer_Connect_OnLoopback_FakeCore() => ClientAndServer_Connect_OnLoopbackCore(fake: true);

    private static async Task ClientAndServer_Connect_OnLoopbackCore(bool fake)
    {
        await using var pair = await QuicTestPair.CreateAsync(fake);

        Assert.Equal(QuicTestPair.Alpn, pair.Client.NegotiatedApplicationProtocol);
        Assert.Equal(QuicTestPair.Alpn, pair.Server.NegotiatedApplicationProtocol);
        Assert.True(pair.Client.IsClient);
        Assert.False(pair.Server.IsClient);
        Assert.Equal(pair.Listener.LocalEndPoint.Port, pair.Client.RemoteEndPoint.Port);
        Assert.Equal(pair.Client.LocalEndPoint.Port, pair.Server.RemoteEndPoint.Port);
    }

    [Fact]
    public Task WrongPin_FailsTheHandshake() => WrongPin_FailsTheHandshakeCore(fake: false);

    private static async Task WrongPin_FailsTheHandshakeCore(bool fake)
    {
        await using var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions(fake));
        var options = QuicTestPair.ClientOptions(fake, listener.LocalEndPoint);
        options.CertificateValidation = CertificateValidation.Pin(new byte[32]);

        var ex = await Assert.ThrowsAsync<QuicException>(async () =>
            await QuicConnection.ConnectAsync(options).AsTask().WaitAsync(QuicTestPair.Timeout));
        Assert.Equal(QuicError.TransportError, ex.QuicError);
    }

    [Fact]
    public Task NoCommonAlpn_FailsTheHandshake() => NoCommonAlpn_FailsTheHandshakeCore(fake: false);

    [Fact]
    public Task NoCommonAlpn_FailsTheHandshake_FakeCore() => NoCommonAlpn_FailsTheHandshakeCore(fake: true);

    private static async Task NoCommonAlpn_FailsTheHandshakeCore(bool fake)
    {
        await using var listener = await QuicListener.ListenAsync(QuicTestPair.ListenerOptions(fake));
        var options = QuicTestPair.ClientOptions(fake, listener.LocalEndPoint);
        options.ApplicationProtocols = ["something-else"];

        await Assert.ThrowsAsync<QuicException>(async () =>
            await QuicConnection.ConnectAsync(options).AsTask().WaitAsync(QuicTestPair.Timeout));
    }

    [Fact]
    public Task Connect_IsCancellable_WhenNobodyAnswers() => Connect_IsCancellable_WhenNobodyAnswersCore(fake: false);

    [Fact]
    public Task Connect_IsCancellable_WhenNobodyAnswers_FakeCore() => Connect_IsCancellable_WhenNobodyAnswersCore(fake: true);

    private static async Task Connect_IsCancellable_WhenNobodyAnswersCore(bool fake)
    {
        // A bound UDP port that never answers.
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var options = QuicTestPair.ClientOptions(fake, (IPEndPoint)silent.Client.LocalEndPoint!);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await QuicConnection.ConnectAsync(options, cts.Token).AsTask().WaitAsync(QuicTestPair.Timeout));
    }

    [Fact]
    public Task SessionTicket_IsDeliveredToTheClient() => SessionTicket_IsDeliveredToTheClientCore(fake: false);

    private static async Task SessionTicket_IsDeliveredToTheClientCore(bool fake)
    {
        var options = QuicTestPair.ListenerOptions(fake);
        options.TicketKey = new byte[32];
        await using var listener = await QuicListener.ListenAsync(options);
        var accept = listener.AcceptConnectionAsync().AsTask();
        var client = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(fake, listener.LocalEndPoint));
        var ticket = new TaskCompletionSource<TlsSessionTicket>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionTicketReceived += (_, t) => ticket.TrySetResult(t);
        await using var server = await accept.WaitAsync(QuicTestPair.Timeout);

        var t = client.LastSessionTicket ?? await ticket.Task.WaitAsync(QuicTestPair.Timeout);
        Assert.NotEmpty(t.Ticket);
        await client.DisposeAsync();
    }
}
