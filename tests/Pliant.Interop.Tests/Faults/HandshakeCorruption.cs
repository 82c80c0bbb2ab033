using Pliant.Cli.Relay;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Faults;

/// <summary>
/// Interop runner case <c>handshakecorruption</c>: 30 % of the datagrams in each direction get one byte
/// flipped; 50 files of 1 KiB, each on a new connection, must all arrive intact.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class HandshakeCorruption
{
    [Theory]
    [MemberData(nameof(FaultPairs.All), MemberType = typeof(FaultPairs))]
    public async Task FiftyConnectionsWith30PercentCorruptedEachWay(Peer client, Peer server)
    {
        var corrupt = new ImpairmentSettings { Corrupt = 0.30 };
        await using var run = await FaultRun.FiftySmallFilesAsync(nameof(HandshakeCorruption), client, server, FaultRun.Impair(103, corrupt, corrupt), seed: 103);
        var up = run.Relay.Total(RelayDirection.ClientToServer);
        var down = run.Relay.Total(RelayDirection.ServerToClient);
        Assert.True(run.Clients.Count == 50 && up.Corrupted > 0 && down.Corrupted > 0, run.Relay.Report());
    }
}
