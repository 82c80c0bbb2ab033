using Pliant.Quic.Operations;
using Pliant.Quic.Streams;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Quic.Tests.Operations;

/// <summary>
/// Flow-control credit as an operation (issue 15 item 2): <c>flow.window_update</c> decides when and how much
/// MAX_STREAM_DATA / MAX_DATA credit goes out. Credit above the receive limits, or none while the peer has none left,
/// detaches the policy (the single policy) and the native rule resumes; the transfer completes.
/// </summary>
public class FlowWindowOperationTests(ITestOutputHelper output)
{
    private const int Size = 4 << 20;

    [Fact]
    public void KeepingTheNativeAnswerCompletesAndSeesBothLevels()
    {
        var (pair, client, server) = FlowSetup.Connect(91);
        long native = FlowSetup.Download(pair, client, server, Size);
        (pair, client, server) = FlowSetup.Connect(91);
        int streamCalls = 0, connectionCalls = 0, nativeGrants = 0;
        client.Operations.Attach(OperationNames.FlowWindowUpdate, Anchor.Replace, (ref OperationArgs a) =>
        {
            if (a.A0 == StreamManager.ConnectionLevel) connectionCalls++;
            else streamCalls++;
            if (a.Result > 0) nativeGrants++;
            Assert.True(a.A1 <= a.A2, "consumed beyond the limit");
        }, "native-again");
        long through = FlowSetup.Download(pair, client, server, Size);
        output.WriteLine($"download: native {native / 1000} ms, native answers through the operation {through / 1000} ms; {streamCalls} stream / {connectionCalls} connection calls, {nativeGrants} grants");
        Assert.True(streamCalls > 10 && connectionCalls > 10, $"{streamCalls} / {connectionCalls}");
        Assert.True(nativeGrants > 5);
        Assert.True(through < native * 12 / 10, $"{through} vs {native}");
        Assert.True(client.Operations.IsHooked(OperationNames.FlowWindowUpdate));
    }

    [Fact]
    public void AnEarlierBiggerGrantIsFaster()
    {
        var (pair, client, server) = FlowSetup.Connect(92);
        long native = FlowSetup.Download(pair, client, server, Size);
        (pair, client, server) = FlowSetup.Connect(92);
        // Straight to the receive limit on the first read.
        client.Operations.Attach(OperationNames.FlowWindowUpdate, Anchor.Replace, (ref OperationArgs a) =>
            a.Result = client.GetField(a.A0 == StreamManager.ConnectionLevel ? ConnectionField.MaxConnectionWindow : ConnectionField.MaxStreamWindow), "max");
        long max = FlowSetup.Download(pair, client, server, Size);
        output.WriteLine($"4 MiB over 80 ms RTT from 64 KiB windows: native {native / 1000} ms, full window at once {max / 1000} ms");
        Assert.True(max < native * 9 / 10, $"{max} vs {native}");
    }

    [Theory]
    [InlineData(1UL << 62)]                 // 2^62: the peer could send far beyond what we buffer
    [InlineData((24UL << 20) + 1)]          // one byte above the connection's receive limit (the stream's is 16 MiB)
    [InlineData(ulong.MaxValue)]            // -1 as an i64: above the bound
    public void CreditAboveTheReceiveLimitIsDetachedAndTheDownloadCompletes(ulong answer)
    {
        var (pair, client, server) = FlowSetup.Connect(93);
        var faults = new List<string>();
        int calls = 0;
        client.Operations.Attach(OperationCatalog.FlowWindowUpdate, Anchor.Replace, (ref OperationArgs a) => { calls++; a.Result = answer; }, "flood", faults.Add);
        FlowSetup.Download(pair, client, server, Size);
        Assert.Equal(1, calls);
        Assert.False(client.Operations.IsHooked(OperationNames.FlowWindowUpdate));
        Assert.StartsWith("broken invariant in flow.window_update (replace):", Assert.Single(faults), StringComparison.Ordinal);
    }

    [Fact]
    public void WithholdingCreditFromABlockedPeerIsDetached()
    {
        var (pair, client, server) = FlowSetup.Connect(94);
        var faults = new List<string>();
        client.Operations.Attach(OperationCatalog.FlowWindowUpdate, Anchor.Replace, (ref OperationArgs a) => a.Result = 0, "miser", faults.Add);
        FlowSetup.Download(pair, client, server, Size);
        Assert.False(client.Operations.IsHooked(OperationNames.FlowWindowUpdate));
        Assert.Contains("while the peer has none left", Assert.Single(faults), StringComparison.Ordinal);
    }
}
