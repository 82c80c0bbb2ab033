using System.Globalization;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Route;

/// <summary>
/// Issue 13 item 3, backend health, as processes: a.example is a pool of two <c>pliant serve</c> backends behind
/// <c>pliant route --health-interval 0.2</c>; once one of them is killed the router marks it down (its probes go
/// unanswered) and every new connection goes to the other.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class RouteHealthCli
{
    [Fact]
    public async Task ABackendThatStopsAnsweringIsMarkedDownAndNewConnectionsSkipIt()
    {
        var dir = TestDir.Create(nameof(RouteHealthCli));
        var cert = TestCertificates.Create(dir);
        var htdocs = Path.Combine(dir, "htdocs");
        TestFiles.Create(htdocs, "a.bin", 100_000, 1305);
        int routerPort = FreePort.Udp(), upstream = FreePort.Udp(), a1 = FreePort.Udp(), a2 = FreePort.Udp();
        var lb = Path.Combine(dir, "lb.json");
        File.WriteAllText(lb, string.Create(CultureInfo.InvariantCulture, $$"""
            { "configs": [ { "config_id": 2, "server_id_length": 2, "nonce_length": 6 } ],
              "servers": [ { "config_id": 2, "server_id": "0001", "address": "127.0.0.1:{{a1}}", "forwarding_header": true },
                           { "config_id": 2, "server_id": "0002", "address": "127.0.0.1:{{a2}}", "forwarding_header": true } ] }
            """));
        using var s1 = await PliantCli.StartServerAsync(dir, a1, cert, htdocs, "--lb-config", lb, "--behind-router", $"127.0.0.1:{upstream}", "--quiet");
        using var s2 = await PliantCli.StartServerAsync(dir, a2, cert, htdocs, "--lb-config", lb, "--behind-router", $"127.0.0.1:{upstream}", "--quiet");
        using var router = PliantCli.Start("pliant-route", dir, "route", "--listen", $"127.0.0.1:{routerPort}", "--upstream", $"127.0.0.1:{upstream}",
            "--backend", $"a.example=127.0.0.1:{a1}", "--backend", $"a.example=127.0.0.1:{a2}", "--lb-config", lb,
            "--health-interval", "0.2", "--stats", "--stats-interval", "0.2");
        try
        {
            Assert.True(await FreePort.WaitUntilBoundAsync(routerPort, router, TimeSpan.FromSeconds(30)), router.Tail());
            await s1.StopAsync();
            // Three unanswered probes, 0.2 s apart: down within a second or so; allow much more on a loaded machine.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!LastStats(router).Contains($"backend.0=127.0.0.1:{a1},down,", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Contains($"backend.0=127.0.0.1:{a1},down,", LastStats(router));

            for (int i = 0; i < 4; i++)
            {
                var output = Path.Combine(dir, $"got-{i}.bin");
                using var get = await PliantCli.RunAsync($"get-{i}", dir, InteropCase.Timeout, "get", $"https://a.example:{routerPort}/a.bin",
                    "--connect", $"127.0.0.1:{routerPort}", "--pin", cert.Sha256Hex, "-o", output, "--connect-timeout", "20");
                Assert.True(get.ExitCode == 0, get.Tail() + router.Tail());
                TestFiles.AssertSame(Path.Combine(htdocs, "a.bin"), output);
            }
            await Task.Delay(500);
            var stats = LastStats(router);
            Assert.Contains(",pliant,conns=0,", stats.Split(' ').First(p => p.StartsWith("backend.0=", StringComparison.Ordinal)));
            Assert.Contains(",up,pliant,conns=4,", stats.Split(' ').First(p => p.StartsWith("backend.1=", StringComparison.Ordinal)));
        }
        finally
        {
            await router.StopAsync();
            await s2.StopAsync();
        }
    }

    private static string LastStats(PeerProcess router) =>
        router.ReadStdout().Split('\n').LastOrDefault(l => l.StartsWith("route: ", StringComparison.Ordinal)) ?? "";
}
