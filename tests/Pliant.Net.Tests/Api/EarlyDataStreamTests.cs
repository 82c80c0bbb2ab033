using System.Security.Cryptography;
using Pliant.Quic.Tls;

namespace Pliant.Net.Tests.Api;

/// <summary>
/// Issue 11 item 5 in Pliant.Net: <see cref="QuicStream.ReceivedEarlyData"/> tells the server which
/// streams carried 0-RTT data (possibly replayed) and which arrived after the handshake.
/// </summary>
public class EarlyDataStreamTests
{
    [Fact]
    public async Task ServerStreamSaysWhetherItsDataWasEarly()
    {
        var options = QuicTestPair.ListenerOptions(fake: false);
        options.TicketKey = RandomNumberGenerator.GetBytes(32);
        options.EnableEarlyData = true;
        await using var listener = await QuicListener.ListenAsync(options);
        using var cts = new CancellationTokenSource(QuicTestPair.Timeout);

        var accept1 = listener.AcceptConnectionAsync(cts.Token).AsTask();
        var got = new TaskCompletionSource<TlsSessionTicket>(TaskCreationOptions.RunContinuationsAsynchronously);
        TlsSessionTicket ticket;
        await using (var first = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(false, listener.LocalEndPoint), cts.Token))
        {
            first.SessionTicketReceived += (_, t) => got.TrySetResult(t);
            await using var firstServer = await accept1;
            ticket = first.LastSessionTicket ?? await got.Task.WaitAsync(cts.Token);
        }

        var clientOptions = QuicTestPair.ClientOptions(false, listener.LocalEndPoint);
        clientOptions.ResumptionTicket = ticket;
        clientOptions.EnableEarlyData = true;
        var accept2 = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await QuicConnection.ConnectAsync(clientOptions, cts.Token);
        Assert.False(client.HandshakeCompleted.IsCompleted);
        await using var early = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token);
        await early.WriteAsync("early"u8.ToArray(), completeWrites: true, cts.Token);

        await using var server = await accept2;
        await using var earlyIn = await server.AcceptInboundStreamAsync(cts.Token);
        Assert.Equal("early", await new StreamReader(earlyIn).ReadToEndAsync(cts.Token));
        Assert.True(earlyIn.ReceivedEarlyData);
        Assert.False(early.ReceivedEarlyData); // the client's own view: nothing received early

        await client.HandshakeCompleted.WaitAsync(cts.Token);
        Assert.True(client.EarlyDataAccepted);
        await using var late = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token);
        await late.WriteAsync("late"u8.ToArray(), completeWrites: true, cts.Token);
        await using var lateIn = await server.AcceptInboundStreamAsync(cts.Token);
        Assert.Equal("late", await new StreamReader(lateIn).ReadToEndAsync(cts.Token));
        Assert.False(lateIn.ReceivedEarlyData);
        Assert.True(earlyIn.ReceivedEarlyData); // sticky
    }
}
