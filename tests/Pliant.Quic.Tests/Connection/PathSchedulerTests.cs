using Pliant.Quic.Connection;

namespace Pliant.Quic.Tests.Connections;

/// <summary>The native path schedulers (issue 12): lowest RTT with room, round robin, backup paths last.</summary>
public class PathSchedulerTests
{
    private static PathView Path(ulong id, long rttMs, long cwnd = 12_000, long inFlight = 0, PathStatus status = PathStatus.Available, bool usable = true) =>
        new(id, rttMs * 1000, cwnd, inFlight, status, usable);

    [Fact]
    public void ASlowerPathIsUsedOnlyWhenItsDataWouldArriveSooner()
    {
        // ECF: the fast path (20 ms, 120 kB window) is full; the slow one (220 ms) has room.
        var s = PathScheduler.Create(PathSchedulerKind.LowestRtt);
        PathView[] paths = [Path(0, 220, cwnd: 120_000), Path(1, 20, cwnd: 120_000, inFlight: 120_000)];
        Assert.Equal(0, s.Select(paths, 1200)); // no backlog given: plain lowest RTT with room
        Assert.Equal(0, s.Select(paths, 1200, () => 8 << 20)); // bulk: 70 rounds of the fast path, use both
        Assert.Equal(-1, s.Select(paths, 1200, () => 300_000)); // the tail: 3.5 rounds (70 ms) beat one slow trip: wait
        Assert.Equal(-1, s.Select(paths, 1200, () => 0));
        paths[1] = Path(1, 20, cwnd: 120_000, inFlight: 100_000); // the fast path has room again: it goes first
        Assert.Equal(1, s.Select(paths, 1200, () => 0));
        PathView[] equal = [Path(0, 20, cwnd: 120_000), Path(1, 20, cwnd: 120_000, inFlight: 120_000)];
        Assert.Equal(0, s.Select(equal, 1200, () => 0)); // paths alike: never wait
        PathView[] slowHasRoom = [Path(0, 220, cwnd: 120_000), Path(1, 20, cwnd: 120_000, inFlight: 120_000)];
        Assert.Equal(0, PathScheduler.Create(PathSchedulerKind.RoundRobin).Select(slowHasRoom, 1200, () => 0)); // round robin ignores the backlog
    }

    [Fact]
    public void LowestRttPicksTheFastestPathThatHasRoom()
    {
        var s = PathScheduler.Create(PathSchedulerKind.LowestRtt);
        PathView[] paths = [Path(0, 40), Path(1, 10), Path(2, 25)];
        Assert.Equal(1, s.Select(paths, 1200));
        paths[1] = Path(1, 10, cwnd: 12_000, inFlight: 11_000); // full
        Assert.Equal(2, s.Select(paths, 1200));
        paths[2] = Path(2, 25, usable: false); // abandoned or unvalidated
        Assert.Equal(0, s.Select(paths, 1200));
        paths[0] = Path(0, 40, inFlight: 12_000);
        Assert.Equal(-1, s.Select(paths, 1200)); // every window full: wait for ACKs
        Assert.Equal(-1, s.Select([], 1200));
    }

    [Fact]
    public void RoundRobinTakesTurnsAndSkipsFullPaths()
    {
        var s = PathScheduler.Create(PathSchedulerKind.RoundRobin);
        PathView[] paths = [Path(2, 5), Path(0, 50), Path(1, 20)];
        var order = new List<ulong>();
        for (int i = 0; i < 6; i++) order.Add(paths[s.Select(paths, 1200)].PathId);
        Assert.Equal([0ul, 1, 2, 0, 1, 2], order);
        paths[2] = Path(1, 20, inFlight: 12_000);
        Assert.Equal(0ul, paths[s.Select(paths, 1200)].PathId);
        Assert.Equal(2ul, paths[s.Select(paths, 1200)].PathId); // path 1 is full: skipped
    }

    [Fact]
    public void BackupPathsCarryTrafficOnlyWhenNoAvailablePathIsUsable()
    {
        foreach (var kind in Enum.GetValues<PathSchedulerKind>())
        {
            var s = PathScheduler.Create(kind);
            PathView[] paths = [Path(0, 80), Path(1, 5, status: PathStatus.Backup)];
            Assert.Equal(0, s.Select(paths, 1200)); // the faster path is a backup: not used
            paths[0] = Path(0, 80, inFlight: 12_000);
            Assert.Equal(-1, s.Select(paths, 1200)); // the available path is only full, not failed: wait
            paths[0] = Path(0, 80, usable: false);
            Assert.Equal(1, s.Select(paths, 1200)); // the primary failed: the backup takes over
        }
    }
}
