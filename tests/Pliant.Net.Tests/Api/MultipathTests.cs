using System.Net;
using System.Security.Cryptography;
using Pliant.Quic.Connection;

namespace Pliant.Net.Tests.Api;

/// <summary>
/// Multipath over real sockets (issue 12): the client opens a second path from another loopback address
/// (127.0.0.2, a second "interface"), both paths carry a download, and abandoning one leaves the other.
/// </summary>
public class MultipathTests
{
    [Fact]
    public async Task ASecondPathFromAnotherLocalAddressCarriesPartOfADownload()
    {
        // Round robin on the sender: on loopback both paths have the same RTT, and the lowest-RTT scheduler may
        // legitimately leave one of them nearly idle on a loaded machine; taking turns makes both carry a share.
        await using var pair = await QuicTestPair.CreateAsync(fake: false,
            s =>
            {
                s.MaxPathId = 2;
                s.PathScheduler = PathSchedulerKind.RoundRobin;
            },
            c =>
            {
                c.MaxPathId = 2;
                c.LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0);
            });
        using var cts = new CancellationTokenSource(QuicTestPair.Timeout);
        Assert.True(pair.Client.IsMultipath);
        var events = new System.Collections.Concurrent.ConcurrentQueue<QuicPathEventArgs>();
        pair.Client.PathChanged += (_, e) => events.Enqueue(e);
        await pair.Client.HandshakeCompleted;
        // Right after the handshake: OpenPathAsync waits for confirmation and the server's connection IDs for path 1.
        var path = await pair.Client.OpenPathAsync(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0), cancellationToken: cts.Token);
        Assert.Equal(1u, path.PathId);
        Assert.True(path.Validated);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), path.Local!.Address);

        var payload = RandomNumberGenerator.GetBytes(16 << 20);
        var serverSide = Task.Run(async () =>
        {
            await using var s = await pair.Server.AcceptInboundStreamAsync(cts.Token);
            var one = new byte[1];
            await s.ReadExactlyAsync(one, cts.Token);
            await s.WriteAsync(payload, completeWrites: true, cts.Token);
        });
        await using var stream = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token);
        await stream.WriteAsync(new byte[] { 1 }, completeWrites: true, cts.Token);
        var received = new MemoryStream();
        await stream.CopyToAsync(received, cts.Token);
        await serverSide;
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received.ToArray()));

        var paths = pair.Server.Paths;
        Assert.Equal(2, paths.Count);
        foreach (var p in paths) Assert.True(p.BytesSent > 1 << 20, $"path {p.PathId} carried only {p.BytesSent} bytes: {string.Join("; ", paths)}");
        Assert.Contains(paths, p => p.PathId == 1 && p.Remote.Address.Equals(IPAddress.Parse("127.0.0.2")));

        Assert.True(pair.Client.AbandonPath(1));
        for (int i = 0; i < 100 && !events.Any(e => e.Kind == QuicPathEventKind.Abandoned); i++) await Task.Delay(20, cts.Token);
        Assert.Contains(events, e => e.PathId == 1 && e.Kind == QuicPathEventKind.Validated);
        Assert.Contains(events, e => e.PathId == 1 && e.Kind == QuicPathEventKind.Abandoned);
        // The connection goes on over path 0.
        await using var again = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token);
        await again.WriteAsync(new byte[] { 2 }, completeWrites: true, cts.Token);
    }

    [Fact]
    public async Task OpeningAPathWithoutNegotiationIsRefused()
    {
        await using var pair = await QuicTestPair.CreateAsync(fake: false, configureClient: c => c.MaxPathId = 2);
        Assert.False(pair.Client.IsMultipath);
        await Assert.ThrowsAsync<InvalidOperationException>(() => pair.Client.OpenPathAsync(new IPEndPoint(IPAddress.Loopback, 0)));
        Assert.Single(pair.Client.Paths);
    }
}
