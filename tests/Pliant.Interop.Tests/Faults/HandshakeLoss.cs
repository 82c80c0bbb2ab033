using Pliant.Cli.Relay;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Faults;

/// <summary>
/// Interop runner case <c>handshakeloss</c>: 30 % of the datagrams are lost in each direction; 50 files of
/// 1 KiB, each on a new connection, must all arrive intact.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class HandshakeLoss
{
    [Theory]
    [MemberData(nameof(FaultPairs.All), MemberType = typeof(FaultPairs))]
    public async Task FiftyConnectionsAt30PercentLossEachWay(Peer client, Peer server)
    {
        var loss = new ImpairmentSettings { Loss = 0.30 };
        await using var run = await FaultRun.FiftySmallFilesAsync(nameof(HandshakeLoss), client, server, FaultRun.Impair(101, loss, loss), seed: 101);
        var up = run.Relay.Total(RelayDirection.ClientToServer);
        var down = run.Relay.Total(RelayDirection.ServerToClient);
        Assert.True(run.Clients.Count == 50 && up.Lost > 0 && down.Lost > 0, run.Relay.Report());
    }
}
