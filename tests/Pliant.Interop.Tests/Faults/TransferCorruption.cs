using Pliant.Cli.Relay;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Faults;

/// <summary>Interop runner case <c>transfercorruption</c>: 2 % of the datagrams in each direction get one byte flipped; a 10 MiB file must arrive intact.</summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class TransferCorruption
{
    [Theory]
    [MemberData(nameof(FaultPairs.All), MemberType = typeof(FaultPairs))]
    public async Task TenMiBWith2PercentCorruptedEachWay(Peer client, Peer server)
    {
        var corrupt = new ImpairmentSettings { Corrupt = 0.02 };
        await using var run = await FaultRun.TenMiBAsync(nameof(TransferCorruption), client, server, FaultRun.Impair(104, corrupt, corrupt), seed: 104);
        Assert.True(run.Relay.Total(RelayDirection.ServerToClient).Corrupted > 50 && run.Relay.Total(RelayDirection.ClientToServer).Corrupted > 0, run.Relay.Report());
    }
}
