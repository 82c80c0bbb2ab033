using System.Net;
using System.Net.Sockets;
using Pliant.Net;
using Pliant.Net.Udp.Linux;
using Pliant.Quic.Connection;
using Pliant.Quic.Tls;
using Pliant.Router.QuicLb;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Restart;

/// <summary>
/// Real listeners as generations of a reuseport group (what <c>pliant serve --reuseport</c> runs), in one test
/// process: hostile datagrams — junk, truncated packets, IDs of a generation that is gone — reach only the newest
/// generation, which drops and counts them without state while an older generation's connection goes on; and an
/// ID of a crashed generation gets a stateless reset from the new one with the token the old one issued: both derive
/// reset tokens from the same static key (the shared key file).
/// </summary>
public sealed class ReusePortListenerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly QuicLbConfiguration Config = new(0, 3, 8);
    private static readonly byte[] Prefix = [0x00];
    private static readonly SteeringLayout Layout = new(12, 0xFF, 0x0b, Prefix, 2);
    private static readonly byte[] StaticKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(); // the key file's static= key
    private readonly string _runDir = Path.Combine(Path.GetTempPath(), "pliant-reuseport-listener-" + Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_runDir, true);
        }
        catch (IOException)
        {
        }
    }

    private sealed record Generation(ReusePortMembership Membership, QuicListener Listener) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Listener.DisposeAsync();
            Membership.Dispose();
        }
    }

    private Generation Start(int port, int drivers)
    {
        var membership = ReusePortMembership.Join(new IPEndPoint(IPAddress.Loopback, port), drivers, Layout, _runDir);
        var options = new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, port),
            ApplicationProtocols = ["echo"],
            ServerCertificate = Certificates.For("a.example"),
            StaticKey = StaticKey,
        };
        var generators = Enumerable.Range(0, drivers)
            .Select(i => (IConnectionIdGenerator)new QuicLbConnectionIdGenerator(Config, ServerIdLayout.Compose(Prefix, 3, membership.Generation, i))).ToList();
        return new Generation(membership, QuicListener.ListenOnSockets(options, membership.Sockets, generators));
    }

    private static QuicClientConnectionOptions Client(int port) => new()
    {
        RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, port),
        ServerName = "a.example",
        ApplicationProtocols = ["echo"],
        CertificateValidation = CertificateValidation.Pin(Certificates.Sha256(Certificates.For("a.example"))),
        IdleTimeout = TimeSpan.FromSeconds(120),
    };

    /// <summary>One echo round trip on a new stream.</summary>
    private static async Task EchoAsync(QuicConnection client, QuicConnection server, int bytes, CancellationToken ct)
    {
        var payload = new byte[bytes];
        new Random(bytes).NextBytes(payload);
        var serve = Task.Run(async () =>
        {
            await using var s = await server.AcceptInboundStreamAsync(ct);
            var got = new MemoryStream();
            await s.CopyToAsync(got, ct);
            await s.WriteAsync(got.ToArray(), completeWrites: true, ct);
        }, ct);
        await using var stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
        await stream.WriteAsync(payload, completeWrites: true, ct);
        var back = new MemoryStream();
        await stream.CopyToAsync(back, ct);
        await serve.WaitAsync(ct);
        Assert.Equal(payload, back.ToArray());
    }

    private static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private static byte[] ShortTo(int generation, int driver, Random rng, int length)
    {
        var d = new byte[length];
        rng.NextBytes(d);
        d[0] = 0x40;
        d[1] = 0x0b;
        d[2] = 0x00;
        d[3] = (byte)generation;
        d[4] = (byte)driver;
        return d;
    }

    [Fact]
    public async Task HostileDatagrams_ReachOnlyTheNewestGeneration_AndAreDroppedWithoutState()
    {
        if (!OperatingSystem.IsLinux()) return;
        int port = FreeUdpPort();
        using var cts = new CancellationTokenSource(Timeout);
        await using var old = Start(port, 1);
        var accept = old.Listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await QuicConnection.ConnectAsync(Client(port), cts.Token);
        await using var served = await accept.WaitAsync(cts.Token);
        await EchoAsync(client, served, 10_000, cts.Token);

        await using var young = Start(port, 2);
        long oldDroppedBefore = old.Listener.Statistics.DroppedDatagrams;
        var rng = new Random(23);
        var hostile = new List<byte[]>();
        for (int i = 0; i < 300; i++)
        {
            var junk = new byte[rng.Next(0, 1400)];
            rng.NextBytes(junk);
            hostile.Add(junk);
        }
        for (int i = 0; i < 100; i++) hostile.Add([.. ShortTo(0, 0, rng, 40).AsSpan(0, rng.Next(1, 13))]); // truncated inside the ID
        for (int i = 0; i < 100; i++) hostile.Add([0xC0, 0, 0, 0, 1, 12, .. ShortTo(0, 0, rng, 40).AsSpan(1, rng.Next(0, 12))]); // long header cut in its DCID
        for (int i = 0; i < 200; i++) hostile.Add(ShortTo(200, i % 3, rng, 60)); // a generation that is gone
        // None of it names the old generation's socket, so none of it may reach it.
        Assert.DoesNotContain(hostile, d => Layout.MemberOf(d) == (old.Membership.Generation << 8));
        // The newest generation counts each (dropped, or answered statelessly: reset, version negotiation) and creates no
        // connection. Sent 25 at a time, each batch counted before the next, so that no socket buffer overflows.
        static long Handled(EndpointStatistics s) => s.DroppedDatagrams + s.VersionNegotiationSent + s.StatelessResponsesLimited;
        long handledBefore = Handled(young.Listener.Statistics);
        var deadline = DateTime.UtcNow + Timeout;
        using (var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            for (int sent = 0; sent < hostile.Count;)
            {
                foreach (var d in hostile.Skip(sent).Take(25)) raw.SendTo(d, new IPEndPoint(IPAddress.Loopback, port));
                sent = Math.Min(hostile.Count, sent + 25);
                while (Handled(young.Listener.Statistics) - handledBefore < sent && DateTime.UtcNow < deadline) await Task.Delay(5);
            }
        }
        var y = young.Listener.Statistics;
        Assert.True(Handled(y) - handledBefore >= hostile.Count, $"dropped={y.DroppedDatagrams} vn={y.VersionNegotiationSent} limited={y.StatelessResponsesLimited} of {hostile.Count}");
        Assert.Equal(0, y.Accepted);
        Assert.True(y.StatelessResetsSent > 0); // IDs of the dead generation: reset (rate-limited), the endpoint's usual answer
        Assert.Equal(oldDroppedBefore, old.Listener.Statistics.DroppedDatagrams);
        Assert.Equal(0, old.Membership.Missteered + young.Membership.Missteered);

        // The old generation's connection goes on; a new one goes to the young generation.
        await EchoAsync(client, served, 50_000, cts.Token);
        var acceptYoung = young.Listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var second = await QuicConnection.ConnectAsync(Client(port), cts.Token);
        await using var servedYoung = await acceptYoung.WaitAsync(cts.Token);
        await EchoAsync(second, servedYoung, 10_000, cts.Token);
        Assert.Equal(1, old.Listener.Statistics.Accepted);
        Assert.Equal(1, young.Listener.Statistics.Accepted);
    }

    /// <summary>Sends <paramref name="datagram"/> from <paramref name="raw"/> and returns the stateless reset's token (its last 16 bytes).</summary>
    private static byte[] ResetTokenFor(Socket raw, int port, byte[] datagram)
    {
        raw.SendTo(datagram, new IPEndPoint(IPAddress.Loopback, port));
        var buffer = new byte[2048];
        raw.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        int n = raw.Receive(buffer);
        Assert.InRange(n, 21, datagram.Length - 1); // RFC 9000 §10.3: shorter than what triggered it
        return buffer.AsSpan(n - 16, 16).ToArray();
    }

    [Fact]
    public async Task AConnectionOfACrashedGeneration_IsResetByTheNewOne_WithTheTokenTheOldOneIssued()
    {
        if (!OperatingSystem.IsLinux()) return;
        int port = FreeUdpPort();
        using var cts = new CancellationTokenSource(Timeout);
        var old = Start(port, 1);
        await using var young = Start(port, 1);
        // A connection ID of the old generation that it does not know: it answers with the reset token it would
        // have issued for that ID (RFC 9000 §10.3.2: derived from its static key and the ID).
        var cid = new Random(3).Next();
        var datagram = ShortTo(old.Membership.Generation, 0, new Random(cid), 60);
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        raw.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var issuedByOld = ResetTokenFor(raw, port, datagram);
        Assert.Equal(1, old.Listener.Statistics.StatelessResetsSent);

        // The old generation dies without a word: its socket closes, its state entry stays until the young generation's
        // watchdog notices that its process is gone and rebuilds the program.
        old.Membership.Abandon([0]);
        var state = ReusePortState.Read(old.Membership.StatePath);
        state.Sockets = [.. state.Sockets.Select(e => e.Generation == old.Membership.Generation ? e with { Start = 1 } : e)];
        state.Write(old.Membership.StatePath);
        var deadline = DateTime.UtcNow + Timeout;
        while (young.Membership.Recoveries == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(young.Membership.Recoveries > 0);

        // The same ID now reaches the young generation, which resets it with the very token the old one issued (shared
        // static key): a client of the crashed process would accept it and close at once instead of timing out.
        var fromYoung = ResetTokenFor(raw, port, datagram);
        Assert.Equal(issuedByOld, fromYoung);
        Assert.Equal(1, young.Listener.Statistics.StatelessResetsSent);
        await old.Listener.DisposeAsync();
    }
}
