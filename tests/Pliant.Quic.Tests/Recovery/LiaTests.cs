using Pliant.Quic.Recovery;
using static Pliant.Quic.Tests.Recovery.RecoveryTestHelpers;

namespace Pliant.Quic.Tests.Recovery;

/// <summary>Linked Increases (RFC 6356), the coupled controller for multipath (issue 12).</summary>
public class LiaTests
{
    private static RttEstimator RttOf(long us)
    {
        var rtt = new RttEstimator();
        rtt.Update(us, 0, handshakeConfirmed: true, maxAckDelayUs: 0);
        return rtt;
    }

    /// <summary>Leaves slow start (one loss) and returns the window then: from here on, congestion avoidance.</summary>
    private static long IntoAvoidance(ICongestionController cc, RttEstimator rtt, ref ulong pn, ref long now)
    {
        for (int round = 0; round < 3; round++)
        {
            var burst = new List<SentPacket>();
            for (int i = 0; i < 10; i++) { burst.Add(Packet(PacketSpace.Application, pn++, now)); cc.OnPacketSent(now, 1200); }
            now += 1_000;
            cc.OnPacketsAcked(burst.ToArray(), now, rtt);
        }
        var lost = Packet(PacketSpace.Application, pn++, now);
        cc.OnPacketSent(now, 1200);
        now += 1_000;
        cc.OnPacketsLost([lost], false, now);
        return cc.Window;
    }

    /// <summary>Sends and acknowledges <paramref name="bytes"/> in 1200-byte packets sent after the recovery period began.</summary>
    private static void AckBytes(ICongestionController cc, RttEstimator rtt, long bytes, ref ulong pn, ref long now)
    {
        for (long done = 0; done < bytes; done += 1200)
        {
            now += 10;
            var p = Packet(PacketSpace.Application, pn++, now);
            cc.OnPacketSent(now, 1200);
            cc.OnPacketsAcked([p], now + 5, rtt);
        }
    }

    [Fact]
    public void WithOnePathItGrowsLikeNewReno()
    {
        var group = new LiaGroup();
        var lia = new Lia(group);
        var reno = new Lia(new LiaGroup()); // alone in its group: the uncoupled increase, same fractional accounting
        var rtt = RttOf(20_000);
        ulong pn1 = 0, pn2 = 0;
        long t1 = 0, t2 = 0;
        Assert.Equal(IntoAvoidance(reno, rtt, ref pn2, ref t2), IntoAvoidance(lia, rtt, ref pn1, ref t1));
        Assert.Equal(1.0, group.Alpha(), 6);
        long start = lia.Window;
        AckBytes(lia, rtt, 10 * start, ref pn1, ref t1);
        AckBytes(reno, rtt, 10 * start, ref pn2, ref t2);
        Assert.True(lia.Window > start + 6 * 1200, $"LIA grew {lia.Window - start} bytes");
        Assert.InRange(lia.Window - reno.Window, -1200, 1200); // NewReno adds whole datagrams, LIA fractions
    }

    /// <summary>
    /// Two paths with equal windows and RTTs: alpha = 2w * (w/r²) / (2w/r)² = 1/2, so each path grows by
    /// alpha * MSS / cwnd_total = a quarter of what an uncoupled NewReno on it would (RFC 6356 §3).
    /// </summary>
    [Fact]
    public void TwoEqualPathsEachGrowAQuarterAsFast()
    {
        var group = new LiaGroup();
        var a = new Lia(group);
        var b = new Lia(group);
        var rtt = RttOf(20_000);
        ulong pa = 0, pb = 0;
        long ta = 0, tb = 0;
        long w = IntoAvoidance(a, rtt, ref pa, ref ta);
        Assert.Equal(w, IntoAvoidance(b, rtt, ref pb, ref tb));
        Assert.Equal(0.5, group.Alpha(), 6);
        // Acknowledging four windows' worth on path a grows it by about one datagram (NewReno: four).
        AckBytes(a, rtt, 4 * w, ref pa, ref ta);
        Assert.InRange(a.Window - w, 1100, 1300);
        Assert.Equal(w, b.Window);
    }

    /// <summary>
    /// Equal windows, RTTs of 10 and 200 ms: alpha = 2 / (1 + r1/r2)² ≈ 1.81 (RFC 6356 §3), so each path grows by
    /// alpha/2 ≈ 0.91 of the uncoupled (NewReno) increase — and never by more than the uncoupled one.
    /// </summary>
    [Fact]
    public void AlphaFollowsTheFormulaAndTheIncreaseIsCappedByTheUncoupledOne()
    {
        var group = new LiaGroup();
        var fast = new Lia(group);
        var slow = new Lia(group);
        var fastRtt = RttOf(10_000);
        var slowRtt = RttOf(200_000);
        ulong pf = 0, ps = 0;
        long tf = 0, ts = 0;
        long w = IntoAvoidance(fast, fastRtt, ref pf, ref tf);
        Assert.Equal(w, IntoAvoidance(slow, slowRtt, ref ps, ref ts));
        double expected = 2 / Math.Pow(1 + 10_000.0 / 200_000, 2);
        Assert.Equal(expected, group.Alpha(), 3);
        var reno = new Lia(new LiaGroup()); // alone in its group: the uncoupled increase, same fractional accounting
        ulong pr = 0;
        long tr = 0;
        Assert.Equal(w, IntoAvoidance(reno, fastRtt, ref pr, ref tr));
        AckBytes(fast, fastRtt, 4 * w, ref pf, ref tf);
        AckBytes(reno, fastRtt, 4 * w, ref pr, ref tr);
        double ratio = (double)(fast.Window - w) / (reno.Window - w);
        Assert.InRange(ratio, 0.75, 1.0); // alpha/2 ≈ 0.91 at the start, less as the fast path's share grows
        group.Remove(slow);
        Assert.Single(group.Members);
        Assert.Equal(1.0, group.Alpha(), 6);
    }
}
