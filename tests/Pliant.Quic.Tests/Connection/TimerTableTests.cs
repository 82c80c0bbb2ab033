using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Connections;

/// <summary>The connection's timers as one table indexed by <see cref="ConnectionTimer"/> (issue 12).</summary>
public class TimerTableTests
{
    [Fact]
    public void EarliestIsTheMinimumOverArmedSlots()
    {
        var t = new TimerTable();
        Assert.Equal(TimerTable.Unset, t.Earliest());
        Assert.Null(t.Next());
        t.Set(ConnectionTimer.Idle, 30_000_000);
        t.Set(ConnectionTimer.Pacing, 1_500);
        t.Set(ConnectionTimer.AckApplication, (long?)2_000);
        Assert.Equal(1_500, t.Earliest());
        Assert.Equal(ConnectionTimer.Pacing, t.Next());
        Assert.True(t.IsDue(ConnectionTimer.Pacing, 1_500));
        Assert.False(t.IsDue(ConnectionTimer.AckApplication, 1_999));
        t.Stop(ConnectionTimer.Pacing);
        t.Set(ConnectionTimer.AckApplication, (long?)null); // null disarms
        Assert.False(t.IsArmed(ConnectionTimer.AckApplication));
        Assert.False(t.IsDue(ConnectionTimer.AckApplication, long.MaxValue - 1));
        Assert.Equal(ConnectionTimer.Idle, t.Next());
    }

    [Fact]
    public void StopAllButKeepsOnlyTheNamedSlot()
    {
        var t = new TimerTable();
        foreach (var k in Enum.GetValues<ConnectionTimer>()) t.Set(k, 100 + (long)k);
        Assert.Equal(100 + (long)ConnectionTimer.LossDetection, t.Earliest()); // the first exact one (idle, handshake and close are rounded up)
        t.StopAllBut(ConnectionTimer.Close);
        Assert.Equal(TimerTable.HousekeepingGranuleUs, t.Earliest()); // a housekeeping deadline, rounded up
        Assert.Equal(ConnectionTimer.Close, t.Next());
        t.StopAll();
        Assert.Null(t.Next());
    }

    /// <summary>
    /// Housekeeping deadlines (idle, handshake, close) are rounded up to a common grid when the driver
    /// asks when to wake, so that many connections' ends of draining share one wake-up; the others are exact, and
    /// whether a timer is due is judged on its exact deadline.
    /// </summary>
    [Fact]
    public void HousekeepingDeadlinesShareAGridTheOthersAreExact()
    {
        const long g = TimerTable.HousekeepingGranuleUs;
        var a = new TimerTable();
        var b = new TimerTable();
        a.Set(ConnectionTimer.Close, 5 * g + 17);
        b.Set(ConnectionTimer.Close, 5 * g + g - 3);
        Assert.Equal(6 * g, a.Earliest());
        Assert.Equal(a.Earliest(), b.Earliest()); // two connections, one wake-up
        Assert.True(a.IsDue(ConnectionTimer.Close, 5 * g + 17));
        a.Set(ConnectionTimer.Idle, 6 * g);
        Assert.Equal(6 * g, a.Earliest()); // on the grid already: unchanged
        a.Set(ConnectionTimer.KeyDiscard, 5 * g + 200);
        Assert.Equal(5 * g + 200, a.Earliest()); // old keys are kept "no more than" 3 PTO (RFC 9001 §6.5): exact
        a.Set(ConnectionTimer.AckApplication, 5 * g + 100);
        Assert.Equal(5 * g + 100, a.Earliest()); // an ACK deadline is exact
        a.Set(ConnectionTimer.Pacing, 5 * g + 20);
        Assert.Equal(5 * g + 20, a.Earliest());
        Assert.Equal(TimerTable.Unset, TimerTable.Coarse(TimerTable.Unset));
    }

    /// <summary>
    /// Through a real handshake and close: the handshake deadline is disarmed when the handshake completes, a
    /// connected idle connection's next timer is its idle timeout (nothing else armed once all is acknowledged),
    /// and after a local close only the end of the closing period (RFC 9000 §10.2) remains, three PTOs away.
    /// </summary>
    [Fact]
    public void TheCoreArmsAndDisarmsItsTimersThroughTheLifeOfAConnection()
    {
        const int seed = 61;
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed));
        var client = pair.Connect(SimulationSetup.ClientOptions(seed));
        // Nothing sent yet: the handshake deadline (shorter than the idle timeout) comes first; once the first
        // flight is out, its PTO does.
        Assert.Equal(ConnectionTimer.Handshake, client.NextTimer);
        Assert.True(pair.RunUntil(() => client.NextTimer == ConnectionTimer.LossDetection, limitUs: 1_000));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected));
        pair.RunFor(2_000_000); // everything acknowledged, nothing in flight
        var server = pair.Server.Connections[0];
        Assert.Equal(ConnectionTimer.Idle, server.NextTimer);
        Assert.Equal(ConnectionTimer.Idle, client.NextTimer);

        long before = pair.NowUs;
        client.Close(before, 0, "done");
        Assert.Equal(ConnectionTimer.Close, client.NextTimer);
        long? closeAt = client.PollTimeout();
        Assert.NotNull(closeAt);
        Assert.True(closeAt > before && closeAt < before + 10_000_000, $"closing period ends at +{closeAt - before} µs");
        Assert.True(pair.RunUntil(() => client.IsClosed, limitUs: 20_000_000));
        Assert.Null(client.PollTimeout());
        Assert.Null(client.NextTimer);
    }
}
