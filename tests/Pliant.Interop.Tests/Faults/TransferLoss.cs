using Pliant.Cli.Relay;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Faults;

/// <summary>Interop runner case <c>transferloss</c>: 2 % loss in each direction; a 10 MiB file must arrive intact.</summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class TransferLoss
{
    [Theory]
    [MemberData(nameof(FaultPairs.All), MemberType = typeof(FaultPairs))]
    public async Task TenMiBAt2PercentLossEachWay(Peer client, Peer server)
    {
        var loss = new ImpairmentSettings { Loss = 0.02 };
        await using var run = await FaultRun.TenMiBAsync(nameof(TransferLoss), client, server, FaultRun.Impair(102, loss, loss), seed: 102);
        Assert.True(run.Relay.Total(RelayDirection.ServerToClient).Lost > 50 && run.Relay.Total(RelayDirection.ClientToServer).Lost > 0, run.Relay.Report());
    }
}
