using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Route;

/// <summary>
/// Issue 13 "bad input" against the <c>pliant route</c> process: random datagrams, truncated Initials and a flood of
/// Initials with distinct DCIDs that do not decrypt are dropped and counted, create no routing state, do not grow the
/// router's memory beyond a bound, and a real client is routed afterwards.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class RouteHostileCli
{
    [Fact]
    public async Task JunkIsDroppedAndCountedWithoutStateAndTheRouterStillRoutes()
    {
        await using var site = await RoutedSite.StartAsync(TestDir.Create(nameof(RouteHostileCli)), 1 << 20, 1304);
        using (var warm = await site.GetAsync("get-warm", "a.example", "a.bin")) { }
        await site.FreshStatsAsync();
        double rssBefore = RssMb(site.Router.Id);

        var rng = new Random(1304);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var router = new IPEndPoint(IPAddress.Loopback, site.RouterPort);
        int sent = 0;
        for (int i = 0; i < 30_000; i++)
        {
            byte[] d;
            switch (i % 3)
            {
                case 0: // random bytes
                    d = new byte[rng.Next(1, 1500)];
                    rng.NextBytes(d);
                    break;
                case 1: // an Initial of version 1 with a fresh 8-byte DCID and a payload that does not decrypt
                    d = new byte[1200];
                    rng.NextBytes(d);
                    d[0] = 0xc3; d[1] = 0; d[2] = 0; d[3] = 0; d[4] = 1; d[5] = 8; d[14] = 0; d[15] = 0; d[16] = 0x44; d[17] = 0x9e; // Length 1182: to the end of the datagram
                    break;
                default: // a truncated Initial (under 1200 bytes, RFC 9000 §14.1)
                    d = new byte[rng.Next(7, 1199)];
                    rng.NextBytes(d);
                    d[0] = 0xc0; d[1] = 0; d[2] = 0; d[3] = 0; d[4] = 1; d[5] = 8;
                    break;
            }
            socket.SendTo(d, router);
            sent++;
            if (i % 500 == 0) await Task.Delay(5); // below the socket buffer: the router, not the kernel, should drop them
        }

        var s = await site.FreshStatsAsync();
        Assert.False(site.Router.HasExited, site.Router.Tail());
        long drops = RoutedSite.Long(s, "drops");
        Assert.True(drops >= sent * 9 / 10, $"{drops} of {sent} junk datagrams counted as dropped");
        Assert.True(RoutedSite.Long(s, "drop_junk_initial") > 0 && RoutedSite.Long(s, "drop_short_initial") > 0 && RoutedSite.Long(s, "drop_malformed") > 0);
        Assert.Equal(0, RoutedSite.Long(s, "first_flights"));
        Assert.Equal(0, RoutedSite.Long(s, "pending"));
        Assert.Equal(0, RoutedSite.Long(s, "flows"));
        double growth = RssMb(site.Router.Id) - rssBefore;
        Assert.True(growth < 64, $"router RSS grew by {growth:0.0} MB");

        using var after = await site.GetAsync("get-after", "a.example", "a.bin");
        site.AssertSame("a", Path.Combine(site.Downloads, "get-after-a.bin"), after);
        Assert.DoesNotContain("internal error(s)", site.Router.ReadAll());
    }

    private static double RssMb(int pid)
    {
        foreach (var l in File.ReadLines($"/proc/{pid}/status"))
            if (l.StartsWith("VmRSS:", StringComparison.Ordinal)) return double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        return double.NaN;
    }
}
