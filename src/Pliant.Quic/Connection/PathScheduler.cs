namespace Pliant.Quic.Connection;

/// <summary>A path's status as the peer or the application set it (draft-ietf-quic-multipath-21 §3.3).</summary>
public enum PathStatus
{
    /// <summary>PATH_STATUS_AVAILABLE: the sender splits traffic over such paths by its own logic.</summary>
    Available,
    /// <summary>PATH_STATUS_BACKUP: used only when no available path can carry traffic.</summary>
    Backup,
}

/// <summary>What a path scheduler sees of one path when it picks where the next packet goes.</summary>
/// <param name="PathId">The path ID.</param>
/// <param name="SmoothedRttUs">Smoothed RTT, µs (RFC 9002 §5.3; the initial 333 ms before a sample).</param>
/// <param name="CongestionWindow">Congestion window, bytes.</param>
/// <param name="BytesInFlight">Bytes in flight on the path.</param>
/// <param name="Status">Available or backup.</param>
/// <param name="Usable">Open and allowed to carry data (validated, not abandoned, not failing).</param>
/// <param name="RttVarUs">RTT variation, µs (RFC 9002 §5.3).</param>
internal readonly record struct PathView(ulong PathId, long SmoothedRttUs, long CongestionWindow, long BytesInFlight, PathStatus Status, bool Usable,
    long RttVarUs = 0)
{
    /// <summary>True when a packet of <paramref name="bytes"/> fits in the path's congestion window.</summary>
    public bool HasRoom(int bytes) => CongestionWindow - BytesInFlight >= bytes;
}

/// <summary>The native schedulers of a multipath connection (<see cref="QuicConnectionOptions.PathScheduler"/>).</summary>
public enum PathSchedulerKind
{
    /// <summary>
    /// The usable path with the lowest smoothed RTT that has room in its window (Linux MPTCP's default); a slower path
    /// is used while the fastest is full only when the data would arrive sooner than by waiting for it (ECF).
    /// </summary>
    LowestRtt,
    /// <summary>The usable paths with room in turn.</summary>
    RoundRobin,
}

/// <summary>
/// Picks the path that carries the next packet. Both native schedulers use backup paths only while no available
/// path is usable (draft-ietf-quic-multipath-21 §3.3), and answer -1 when every candidate's congestion window is
/// full (the sender waits for acknowledgments rather than overfilling a path). O(paths) per decision, no allocation.
/// </summary>
internal abstract class PathScheduler
{
    /// <summary>A scheduler of <paramref name="kind"/>.</summary>
    public static PathScheduler Create(PathSchedulerKind kind) => kind switch
    {
        PathSchedulerKind.RoundRobin => new RoundRobinScheduler(),
        _ => new LowestRttScheduler(),
    };

    /// <summary>
    /// The index in <paramref name="paths"/> of the path for a packet of <paramref name="bytes"/>, or -1.
    /// <paramref name="backlog"/>, when given, tells (on demand) how many bytes wait to be sent; without it the
    /// backlog counts as unbounded.
    /// </summary>
    public abstract int Select(ReadOnlySpan<PathView> paths, int bytes, Func<ulong>? backlog = null);

    /// <summary>Hysteresis of <see cref="ShouldWaitForFastest"/> (ECF's beta).</summary>
    private const double EcfBeta = 0.25;

    /// <summary>
    /// Earliest Completion First (Lim et al., "ECF: An MPTCP Path Scheduler to Manage Heterogeneous Paths",
    /// CoNEXT 2017), as a rule: the fastest path <paramref name="fastest"/> is full and a slower one,
    /// <paramref name="slower"/>, has room. With <paramref name="backlogBytes"/> waiting, the fastest path needs
    /// about n = 1 + backlog / cwnd rounds of its RTT for all of it; when that is less than the slower path's RTT
    /// (plus variation and a quarter for hysteresis), a packet sent on the slower path would arrive after the fastest
    /// path could have carried everything: waiting is better. It is what keeps a slow, deep-buffered path (a
    /// bufferbloated LTE link beside Wi-Fi) from holding the receiver's window and the end of a transfer hostage;
    /// with a long backlog (a bulk transfer in full flow) both paths are used. Paths whose RTTs differ by less than a
    /// quarter never wait for each other (two alike paths: 1.92x → 1.95x the single path over 20 MiB, simulated).
    /// </summary>
    internal static bool ShouldWaitForFastest(in PathView fastest, in PathView slower, ulong backlogBytes)
    {
        // Paths within a quarter of each other's RTT are alike: spreading the tail over both is as quick.
        if (slower.SmoothedRttUs <= fastest.SmoothedRttUs * (1 + EcfBeta)) return false;
        double rounds = 1 + (double)backlogBytes / Math.Max(fastest.CongestionWindow, 1);
        double delta = Math.Max(fastest.RttVarUs, slower.RttVarUs);
        return rounds * fastest.SmoothedRttUs < (1 + EcfBeta) * (slower.SmoothedRttUs + delta);
    }

    /// <summary>The status paths must have to be candidates now: backups only when no available path is usable.</summary>
    protected static PathStatus CandidateStatus(ReadOnlySpan<PathView> paths)
    {
        foreach (var p in paths)
            if (p.Usable && p.Status == PathStatus.Available) return PathStatus.Available;
        return PathStatus.Backup;
    }

    private sealed class LowestRttScheduler : PathScheduler
    {
        public override int Select(ReadOnlySpan<PathView> paths, int bytes, Func<ulong>? backlog = null)
        {
            var status = CandidateStatus(paths);
            int best = -1, fastest = -1;
            for (int i = 0; i < paths.Length; i++)
            {
                var p = paths[i];
                if (!p.Usable || p.Status != status) continue;
                if (fastest < 0 || p.SmoothedRttUs < paths[fastest].SmoothedRttUs) fastest = i;
                if (!p.HasRoom(bytes)) continue;
                if (best < 0 || p.SmoothedRttUs < paths[best].SmoothedRttUs) best = i;
            }
            if (best >= 0 && best != fastest && backlog is not null && ShouldWaitForFastest(paths[fastest], paths[best], backlog() + (ulong)bytes))
                return -1;
            return best;
        }
    }

    private sealed class RoundRobinScheduler : PathScheduler
    {
        private ulong _lastPathId = ulong.MaxValue;

        public override int Select(ReadOnlySpan<PathView> paths, int bytes, Func<ulong>? backlog = null)
        {
            var status = CandidateStatus(paths);
            // The candidate with the smallest path ID above the last one used, else the smallest overall (wrap).
            int next = -1, first = -1;
            for (int i = 0; i < paths.Length; i++)
            {
                var p = paths[i];
                if (!p.Usable || p.Status != status || !p.HasRoom(bytes)) continue;
                if (first < 0 || p.PathId < paths[first].PathId) first = i;
                if (_lastPathId != ulong.MaxValue && p.PathId > _lastPathId && (next < 0 || p.PathId < paths[next].PathId)) next = i;
            }
            int chosen = next >= 0 ? next : first;
            if (chosen >= 0) _lastPathId = paths[chosen].PathId;
            return chosen;
        }
    }
}
