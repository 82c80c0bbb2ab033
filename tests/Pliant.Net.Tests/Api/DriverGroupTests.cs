using System.Net;

namespace Pliant.Net.Tests.Api;

/// <summary>
/// A listener with several drivers on one SO_REUSEPORT group (issue 17): every datagram of a connection
/// reaches the driver that owns it — chosen by the kernel from the connection ID — also after the client
/// moves to another port; both drivers take connections.
/// </summary>
public class DriverGroupTests
{
    [Fact]
    public async Task EveryDatagramOfAConnectionReachesItsDriverAcrossRebinds()
    {
        if (!OperatingSystem.IsLinux()) return;
        var options = QuicTestPair.ListenerOptions(fake: false);
        options.Drivers = 2;
        await using var listener = await QuicListener.ListenAsync(options);
        Assert.Equal(2, listener.DriverCount);

        using var cts = new CancellationTokenSource(QuicTestPair.Timeout);
        var payload = new byte[50_000];
        new Random(7).NextBytes(payload);
        // A new client port halfway for every other client: the 4-tuple changes, the connection ID (and so the driver) does not.
        await EchoServing.Exchange(listener, 24, payload, cts.Token, halfway: (i, client) =>
        {
            if (i % 2 == 0) client.Rebind();
        });

        EchoServing.AssertSteeredToBothDrivers(listener, 24);
        Assert.Equal(24, listener.Statistics.Accepted);
    }

    [Fact]
    public void TheSteeringProgramPicksTheSocketFromTheConnectionId()
    {
        // The program as the kernel runs it, interpreted here on long and short headers.
        var program = Pliant.Net.Udp.Linux.ReusePortGroup.Program(3);
        byte[] shortHeader = [0x40, 0x05, 1, 2, 3, 4, 5, 6, 7];
        byte[] longHeader = [0xc0, 0, 0, 0, 1, 8, 0x0b, 1, 2, 3, 4, 5, 6, 7];
        Assert.Equal(0x05u % 3, Run(program, shortHeader));
        Assert.Equal(0x0bu % 3, Run(program, longHeader));
        var generator = new Pliant.Net.Internal.DriverConnectionIds(2, 3);
        for (int i = 0; i < 100; i++)
            Assert.Equal(2, Pliant.Net.Internal.DriverConnectionIds.DriverOf(generator.Generate().Span, 3));
    }

    private static uint Run(Pliant.Net.Udp.Linux.ReusePortGroup.SockFilter[] program, byte[] packet)
    {
        uint a = 0;
        for (int pc = 0; pc < program.Length; pc++)
        {
            var f = program[pc];
            switch (f.Code)
            {
                case 0x30: a = packet[f.K]; break;                       // ldb [k]
                case 0x45: pc += (a & f.K) != 0 ? f.Jt : f.Jf; break;   // jset
                case 0x05: pc += (int)f.K; break;                        // ja
                case 0x94: a %= f.K; break;                              // mod #k
                case 0x16: return a;                                     // ret A
                default: throw new InvalidOperationException($"opcode {f.Code:x}");
            }
        }
        throw new InvalidOperationException("no return");
    }

    [Fact]
    public async Task TruncatedAndJunkDatagramsAtTheGroupHurtNobody()
    {
        // Hostile input to the steering program and both drivers: datagrams shorter than the byte the program
        // reads (the kernel ends a program that loads past the packet with 0: socket 0), empty ones, a long
        // header cut inside its DCID, random junk. Each is dropped and counted; memory and time per datagram are
        // the drivers' usual bounds (no state for an unparseable datagram). A real client connects afterwards.
        if (!OperatingSystem.IsLinux()) return;
        var options = QuicTestPair.ListenerOptions(fake: false);
        options.Drivers = 2;
        await using var listener = await QuicListener.ListenAsync(options);
        using var udp = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var rng = new Random(17);
        byte[][] hostile =
        [
            [], [0x40], [0xc0], [0xc0, 0, 0, 0, 1], [0xc0, 0, 0, 0, 1, 20, 0x0b], [0x40, 0x07, 1],
            .. Enumerable.Range(0, 200).Select(i => { var d = new byte[rng.Next(1, 1400)]; rng.NextBytes(d); return d; }),
        ];
        foreach (var d in hostile) await udp.SendAsync(d, listener.LocalEndPoint);

        using var cts = new CancellationTokenSource(QuicTestPair.Timeout);
        var accept = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await QuicConnection.ConnectAsync(QuicTestPair.ClientOptions(false, listener.LocalEndPoint), cts.Token);
        await using var server = await accept;
        Assert.Equal(1, listener.Statistics.Accepted);
        var total = listener.Statistics;
        // The hostile datagrams were refused by the drivers (dropped as unparseable or junk, or answered
        // statelessly), none admitted, none faulted a connection.
        Assert.True(total.DroppedDatagrams + total.Unparseable + total.JunkInitials + total.StatelessResetsSent + total.VersionNegotiationSent >= hostile.Length / 2,
            $"dropped {total.DroppedDatagrams} unparseable {total.Unparseable} junk {total.JunkInitials} resets {total.StatelessResetsSent} vn {total.VersionNegotiationSent}");
        Assert.Equal(0, total.ConnectionsFaulted);
    }
}
