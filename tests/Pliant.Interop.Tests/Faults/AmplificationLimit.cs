using Pliant.Cli.Relay;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Faults;

/// <summary>
/// Interop runner case <c>amplificationlimit</c>: the server's certificate chain (leaf + 3 padded
/// intermediates, about 8 KB) is more than 3x the client's first Initial, and every client datagram after
/// the first is dropped for the first 1.5 s of the connection (its second flight is lost). Until the server
/// hears from the client again it may send at most 3x the bytes of that first datagram (RFC 9000 §8.1),
/// which the relay's per-flow trace checks; then the download must complete.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class AmplificationLimit
{
    [Theory]
    [MemberData(nameof(FaultPairs.All), MemberType = typeof(FaultPairs))]
    public async Task ServerStopsAtThreeTimesWhatItReceived(Peer client, Peer server)
    {
        var options = FaultRun.Impair(seed: 106, ImpairmentSettings.None, ImpairmentSettings.None) with
        {
            LoseSecondFlight = TimeSpan.FromSeconds(1.5),
            TracePerFlow = 2000,
        };
        await using var run = await FaultRun.StartAsync(nameof(AmplificationLimit), client, server, options, dir => LargeCertificateChain.Create(dir));
        var files = run.AddFiles(1, 100_000, seed: 106);
        await run.GetAsync(files);
        run.AssertIntact(files);
        run.AssertPliantClientsSucceeded();

        var report = run.Relay.Report();
        var flow = Assert.Single(run.Relay.Flows);
        var trace = flow.Trace;
        var first = trace.Single(e => e.Direction == RelayDirection.ClientToServer && e.Index == 0);
        var chainBytes = LargeCertificateChain.ChainBytes(run.Cert.CertPath);
        Assert.True(chainBytes > 3 * first.Size, $"the chain ({chainBytes} bytes) must exceed 3x the client's first datagram ({first.Size})\n{report}");
        Assert.True(trace.Any(e => e.Direction == RelayDirection.ClientToServer && e.Fate == RelayFate.SecondFlightDropped),
            "the client sent nothing during the window, so no second flight was lost\n" + report);

        // The first client datagram after the first that reached the server; everything the server sent before it
        // was sent on the credit of the first datagram alone.
        var resumed = trace.Where(e => e.Direction == RelayDirection.ClientToServer && e.Index > 0 && (e.Fate & RelayFate.Forwarded) != 0)
            .OrderBy(e => e.Sequence).First();
        var sentOnFirstCredit = trace.Where(e => e.Direction == RelayDirection.ServerToClient && e.Sequence < resumed.Sequence).ToList();
        var bytes = sentOnFirstCredit.Sum(e => e.Size);
        var summary = $"server sent {bytes} bytes in {sentOnFirstCredit.Count} datagrams on the credit of a {first.Size}-byte first datagram (limit {3 * first.Size}); chain {chainBytes} bytes\n{report}";
        File.WriteAllText(Path.Combine(run.Dir, "amplification.txt"), summary);
        Assert.True(bytes <= 3 * first.Size, "anti-amplification limit exceeded: " + summary);
        Assert.True(bytes > first.Size, "the server used (almost) none of its credit: " + summary);
    }
}
