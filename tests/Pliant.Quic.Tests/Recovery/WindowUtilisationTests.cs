using Pliant.Quic.Recovery;
using static Pliant.Quic.Tests.Recovery.RecoveryTestHelpers;

namespace Pliant.Quic.Tests.Recovery;

/// <summary>RFC 9002 §7.8: a window that is not fully utilised does not grow.</summary>
public class WindowUtilisationTests
{
    private static readonly RttEstimator Rtt = NewRtt();

    private static RttEstimator NewRtt()
    {
        var rtt = new RttEstimator();
        rtt.Update(10_000, 0, true, 0);
        return rtt;
    }

    /// <summary>Sends <paramref name="perRound"/> packets, acknowledges them, <paramref name="rounds"/> times.</summary>
    private static void Run(ICongestionController cc, int rounds, int perRound)
    {
        ulong pn = 0;
        long now = 0;
        for (int r = 0; r < rounds; r++)
        {
            var batch = new SentPacket[perRound];
            for (int i = 0; i < perRound; i++)
            {
                batch[i] = Packet(PacketSpace.Application, pn++, now);
                cc.OnPacketSent(now, batch[i].Size);
            }
            now += 10_000;
            cc.OnPacketsAcked(batch, now, Rtt);
        }
    }

    public static TheoryData<string> Controllers => new() { "newreno", "cubic" };

    private static ICongestionController Create(string name) => name == "cubic" ? new Cubic(1200) : new NewReno(1200);

    [Theory]
    [MemberData(nameof(Controllers))]
    public void SenderThatNeverFillsTheWindowDoesNotGrowIt(string name)
    {
        var cc = Create(name);
        long initial = cc.Window;
        Run(cc, rounds: 1000, perRound: 2); // 2400 bytes in flight at most, window 12000
        Assert.Equal(initial, cc.Window);
    }

    [Theory]
    [MemberData(nameof(Controllers))]
    public void SenderThatFillsTheWindowGrowsIt(string name)
    {
        var cc = Create(name);
        Run(cc, rounds: 5, perRound: 10); // a full initial window each round
        Assert.True(cc.Window > 12_000, $"window {cc.Window}");
        Assert.True(cc.Window <= 2 * 12_000 + 1200, $"window {cc.Window} beyond twice what was ever in flight");
    }
}
