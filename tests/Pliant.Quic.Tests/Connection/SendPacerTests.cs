using Pliant.Quic.Connection;
using Pliant.Quic.Recovery;

namespace Pliant.Quic.Tests.Connections;

/// <summary>The connection's pacer: bursts, and making up for a late wake-up (SendPacer).</summary>
public class SendPacerTests
{
    /// <summary>A controller pacing one 1200-byte packet every <paramref name="intervalUs"/>.</summary>
    private sealed class FixedRate(long intervalUs) : ICongestionController
    {
        public long Window => long.MaxValue;
        public long BytesInFlight => 0;
        public int MaxDatagramSize { get; set; } = 1200;
        public bool IsAppLimited { get; set; }
        public bool CanSend(int bytes) => true;
        public void OnPacketSent(long nowUs, int bytes) { }
        public void OnPacketsAcked(ReadOnlySpan<SentPacket> acked, long nowUs, RttEstimator rtt) { }
        public void OnPacketsLost(ReadOnlySpan<SentPacket> lost, bool persistentCongestion, long nowUs) { }
        public void OnEcnCe(long sentTimeOfLargestAckedUs, long nowUs) { }
        public void OnPacketsDiscarded(long bytes) { }
        public long? PacingIntervalUs(int packetSize, RttEstimator rtt) => intervalUs;
    }

    private static RttEstimator Rtt(long us)
    {
        var rtt = new RttEstimator();
        rtt.Update(us, 0, true, 0);
        return rtt;
    }

    /// <summary>Packets the pacer lets go at <paramref name="nowUs"/> before it asks to wait.</summary>
    private static int SendableAt(SendPacer pacer, long nowUs, ICongestionController cc, RttEstimator rtt)
    {
        int n = 0;
        while (pacer.NextSendTimeUs(nowUs) is null && n < 1000)
        {
            pacer.OnPacketSent(nowUs, 1200, cc, rtt);
            n++;
        }
        return n;
    }

    [Fact]
    public void ALateWakeUpSendsTheSlotsItMissed()
    {
        var cc = new FixedRate(200);
        var rtt = Rtt(20_000);
        var pacer = new SendPacer();
        Assert.Equal(SendPacer.BurstPackets, SendableAt(pacer, 1_000_000, cc, rtt));
        // After the burst the driver sleeps until the next slot.
        long due = pacer.NextSendTimeUs(1_000_000)!.Value;
        Assert.Equal(1_000_000 + (10 * 200), due);
        // Woken 3 ms late: the slot due and the 15 it missed go now (the old pacer let 10 go and lost 6).
        Assert.Equal(16, SendableAt(pacer, due + 3_000, cc, rtt));
        // On time: one slot.
        due = pacer.NextSendTimeUs(due + 3_000)!.Value;
        Assert.Equal(1, SendableAt(pacer, due, cc, rtt));
        // 4.8 ms late: 24 missed slots (within a quarter of the 20 ms RTT) and the one due.
        due = pacer.NextSendTimeUs(due)!.Value;
        Assert.Equal(25, SendableAt(pacer, due + 4_800, cc, rtt));
        // 50 ms late is idleness, not lateness: the schedule restarts with the burst.
        due = pacer.NextSendTimeUs(due + 4_800)!.Value;
        Assert.Equal(SendPacer.BurstPackets, SendableAt(pacer, due + 50_000, cc, rtt));
    }

    [Fact]
    public void SlightlyLateWakeUpsKeepThePacingRate()
    {
        // 232 us per packet (50 Mbit/s of 1452-byte datagrams), every wake-up 100 us late, for one second.
        var cc = new FixedRate(232);
        var rtt = Rtt(20_000);
        var pacer = new SendPacer();
        long now = 1_000_000, end = 2_000_000;
        int sent = SendableAt(pacer, now, cc, rtt);
        while (true)
        {
            now = pacer.NextSendTimeUs(now)!.Value + 100;
            if (now >= end) break;
            sent += SendableAt(pacer, now, cc, rtt);
        }
        // 1 s / 232 us = 4310 slots; restarting the schedule at each wake-up sent ~30 % fewer.
        Assert.InRange(sent, 4300, 4320);
    }

    [Fact]
    public void OnAShortRttTheBurstStaysAMillisecond()
    {
        var cc = new FixedRate(20);
        var rtt = Rtt(200); // loopback: a quarter RTT (50 µs) is less than the 1 ms burst
        var pacer = new SendPacer();
        SendableAt(pacer, 1_000_000, cc, rtt);
        long due = pacer.NextSendTimeUs(1_000_000)!.Value;
        Assert.Equal(SendPacer.MaxBurstPackets, SendableAt(pacer, due + 10_000, cc, rtt));
    }
}
