using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Faults;

/// <summary>
/// Path MTU discovery with the kernel (RFC 9000 §14.3): <c>pliant serve</c> and <c>pliant get</c> in a network
/// namespace whose loopback passes at most 1,300-byte IP packets, so every datagram above 1,272 bytes of UDP payload
/// fails with EMSGSIZE (the sockets set don't-fragment). The download completes intact; before path MTU discovery
/// both sides sent 1,452-byte datagrams after the handshake and the connection died at its idle timeout. Needs root
/// (CI runs as root).
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class SmallMtuPathCli
{
    private static async Task<int> Ip(string dir, params string[] args)
    {
        using var p = PeerProcess.Start("ip", "ip", args, dir);
        return await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ADownloadCompletesOverAPathThatCarriesLessThanTheUsualDatagram()
    {
        Assert.True(Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root",
            "this test builds a network namespace and needs root (CI runs as root)");
        var c = InteropCase.Create(nameof(SmallMtuPathCli));
        var files = c.AddFiles(1, 8_000_000, 97);
        const string ns = "pliant-mtu1300";
        await Ip(c.Dir, "netns", "del", ns);
        Assert.Equal(0, await Ip(c.Dir, "netns", "add", ns));
        try
        {
            Assert.Equal(0, await Ip(c.Dir, "netns", "exec", ns, "ip", "link", "set", "lo", "up", "mtu", "1300"));
            using var server = PeerProcess.Start("pliant-server", "ip", ["netns", "exec", ns, PliantCli.DotnetHost, PliantCli.Dll, "serve",
                c.Htdocs, "--listen", $"127.0.0.1:{c.Port}", "--cert", c.Cert.CertPath, "--key", c.Cert.KeyPath, "--threads", "1"], c.Dir);
            var started = DateTime.UtcNow;
            while (!server.ReadStdout().Contains("pliant serve: listening", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "pliant serve did not start in the namespace\n" + server.Tail());
                await Task.Delay(100);
            }
            using var get = PeerProcess.Start("pliant-get", "ip", ["netns", "exec", ns, PliantCli.DotnetHost, PliantCli.Dll, "get",
                c.Url(files[0]), "-o", Path.Combine(c.Downloads, files[0]), "--pin", c.Cert.Sha256Hex, "--idle-timeout", "20"], c.Dir);
            Assert.True(await get.WaitForExitAsync(InteropCase.Timeout) == 0, get.Tail() + server.Tail());
            c.AssertDownloaded(files, null, get, server);
            await server.StopAsync();
        }
        finally
        {
            await Ip(c.Dir, "netns", "del", ns);
        }
    }
}
