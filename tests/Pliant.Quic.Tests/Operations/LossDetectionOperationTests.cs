using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Quic.Tests.Operations;

/// <summary>
/// Loss detection as an operation (issue 15 item 2): <c>recovery.detect_lost</c> answers each unacknowledged packet's
/// loss delay (RFC 9002 §6.1: 0 on entry when the packet threshold has it lost, the time threshold otherwise); an
/// answer above 60 s detaches the replacement and native detection resumes.
/// </summary>
public class LossDetectionOperationTests(ITestOutputHelper output)
{
    private const int Size = 1 << 20;

    /// <summary>Uploads <see cref="Size"/> bytes client → server over a link that reorders (and loses) some packets; returns the client's packets declared lost.</summary>
    private static long Upload(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server)
    {
        long before = client.Statistics.PacketsLost;
        Transfers.Upload(pair, client, server, Size);
        return client.Statistics.PacketsLost - before;
    }

    /// <summary>
    /// A connected pair whose client → server link delays 5 % of the datagrams by 2 ms more (RTT 20 ms, no bandwidth
    /// limit: no queue drops): reordering by many packets, within the time threshold's RTT/8.
    /// </summary>
    private static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Reordering(int seed, double loss = 0, long reorderUs = 2_000)
    {
        var (pair, client, server) = OperationTableTests.Connected(seed);
        pair.ClientToServer.ReorderRate = 0.05;
        pair.ClientToServer.ReorderDelayUs = reorderUs;
        pair.ClientToServer.LossRate = loss;
        return (pair, client, server);
    }

    [Fact]
    public void TheEntryValueIsTheNativeDecisionAndKeepingItChangesNothing()
    {
        var (pair, client, server) = Reordering(81, loss: 0.01);
        long native = Upload(pair, client, server);
        (pair, client, server) = Reordering(81, loss: 0.01);
        int calls = 0, mismatches = 0;
        client.Operations.Attach(OperationNames.RecoveryDetectLost, Anchor.Replace, (ref OperationArgs a) =>
        {
            calls++;
            ulong expected = a.A2 >= a.A0 + 3 ? 0 : a.A3; // packet threshold: lost now; else the time threshold
            if (a.Result != expected || a.A3 < 1_000 || a.Path != 0) mismatches++;
        }, "same");
        long same = Upload(pair, client, server);
        output.WriteLine($"{calls} calls; lost natively {native}, through the operation {same}");
        Assert.True(calls >= 20, $"{calls} calls");
        Assert.Equal(0, mismatches);
        Assert.Equal(native, same);
    }

    [Fact]
    public void TimeThresholdOnlyTakesFewerReorderedPacketsForLost()
    {
        var (pair, client, server) = Reordering(82);
        long native = Upload(pair, client, server);
        (pair, client, server) = Reordering(82);
        client.Operations.Attach(OperationNames.RecoveryDetectLost, Anchor.Replace, (ref OperationArgs a) => a.Result = a.A3, "time-only");
        long timeOnly = Upload(pair, client, server);
        output.WriteLine($"packets declared lost without any loss (all spurious): packet threshold {native}, time threshold only {timeOnly}");
        Assert.True(native > 10, $"native {native}");
        Assert.True(timeOnly < native / 4, $"time only {timeOnly}, native {native}");
        Assert.True(client.Operations.IsHooked(OperationNames.RecoveryDetectLost));
    }

    [Theory]
    [InlineData(60_000_001UL)]
    [InlineData(ulong.MaxValue)]
    public void ALossDelayAboveSixtySecondsIsDetachedAndTheTransferCompletes(ulong answer)
    {
        var (pair, client, server) = Reordering(83, loss: 0.02);
        var faults = new List<string>();
        int calls = 0;
        client.Operations.Attach(OperationCatalog.RecoveryDetectLost, Anchor.Replace, (ref OperationArgs a) => { calls++; a.Result = answer; }, "never-lost", faults.Add);
        long lost = Upload(pair, client, server);
        Assert.Equal(1, calls);
        Assert.True(lost > 0, "native detection resumed: the lost packets were found");
        Assert.False(client.Operations.IsHooked(OperationNames.RecoveryDetectLost));
        Assert.StartsWith("broken invariant in recovery.detect_lost (replace): result", Assert.Single(faults), StringComparison.Ordinal);
    }
}
