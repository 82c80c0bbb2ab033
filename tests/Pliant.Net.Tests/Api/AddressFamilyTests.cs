using System.Net;
using System.Net.Sockets;

namespace Pliant.Net.Tests.Api;

/// <summary>IPv6 and dual-stack listeners, through the driver with the fake core.</summary>
public class AddressFamilyTests
{
    [Fact]
    public async Task DualStackListener_AcceptsIPv4AndIPv6Clients_FakeCore()
    {
        if (!Socket.OSSupportsIPv6) return;
        var options = QuicTestPair.ListenerOptions(fake: true);
        options.ListenEndPoint = new IPEndPoint(IPAddress.IPv6Any, 0);
        QuicListener listener;
        try
        {
            listener = await QuicListener.ListenAsync(options);
        }
        catch (SocketException)
        {
            return; // no IPv6 in this environment
        }

        await using (listener)
        {
            int port = listener.LocalEndPoint.Port;
            foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
            {
                var accept = listener.AcceptConnectionAsync().AsTask();
                await using var client = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(true, new IPEndPoint(address, port)))
                    .AsTask().WaitAsync(QuicTestPair.Timeout);
                await using var server = await accept.WaitAsync(QuicTestPair.Timeout);

                // The server sees the client's own family (IPv4-mapped addresses are unmapped).
                Assert.Equal(address.AddressFamily, server.RemoteEndPoint.AddressFamily);
                Assert.Equal(client.LocalEndPoint.Port, server.RemoteEndPoint.Port);

                await using var stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
                await stream.WriteAsync("ping"u8.ToArray(), completeWrites: true);
                await using var inbound = await server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
                Assert.Equal("ping"u8.ToArray(), await StreamTests.ReadToEndAsync(inbound).WaitAsync(QuicTestPair.Timeout));
            }
        }
    }

    [Fact]
    public async Task SyncReadAndWrite_FakeCore()
    {
        await using var pair = await QuicTestPair.CreateAsync(fake: true);
        await using var stream = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        var data = new byte[100_000];
        Random.Shared.NextBytes(data);

        await Task.Run(() =>
        {
            stream.Write(data, 0, data.Length);
            stream.CompleteWrites();
        }).WaitAsync(QuicTestPair.Timeout);

        await using var inbound = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
        var received = await Task.Run(() =>
        {
            using var ms = new MemoryStream();
            inbound.CopyTo(ms); // sync Read until 0
            return ms.ToArray();
        }).WaitAsync(QuicTestPair.Timeout);
        Assert.Equal(data, received);
    }
}
