using Pliant.Cli.Relay;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Faults;

/// <summary>
/// Interop runner case <c>blackhole</c>: after 3 MiB of a 10 MiB download every datagram in both directions
/// is dropped for 3 s, then the path is back; the file must arrive intact (both peers keep the connection:
/// their idle timeouts, 15 s for gtlsclient as the harness runs it and 30 s for Pliant, are longer).
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class Blackhole
{
    [Theory]
    [MemberData(nameof(FaultPairs.All), MemberType = typeof(FaultPairs))]
    public async Task ThreeSecondsOfSilenceMidTransfer(Peer client, Peer server)
    {
        var options = FaultRun.Impair(105, ImpairmentSettings.None, ImpairmentSettings.None) with
        {
            BlackholeAfterBytes = 3 << 20,
            BlackholeDuration = TimeSpan.FromSeconds(3),
        };
        await using var run = await FaultRun.TenMiBAsync(nameof(Blackhole), client, server, options, seed: 105);
        // One blackhole, and the server kept probing into it (PTO, RFC 9002 §6.2) before the path came back.
        Assert.True(run.Relay.BlackholesStarted == 1 && run.Relay.Total(RelayDirection.ServerToClient).Blackholed > 0, run.Relay.Report());
    }
}
