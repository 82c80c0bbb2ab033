using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

public class WindowAutoTuningTests
{
    private static readonly LocalStreamSettings Settings = new()
    {
        InitialMaxData = 8000, InitialMaxStreamDataBidiLocal = 4000, InitialMaxStreamDataBidiRemote = 4000,
        MaxStreamWindow = 64_000, MaxConnectionWindow = 128_000, SendBufferPerStream = 1 << 20,
    };

    private static StreamPair Transfer(long rttUs, out int packets)
    {
        var pair = new StreamPair(Settings, Settings, seed: 9) { RttUs = rttUs };
        pair.Client.TryOpenStream(true, out var id);
        var data = new byte[400_000];
        int written = 0;
        var buf = new byte[100_000];
        bool opened = false;
        pair.OnServerEvent = e => opened |= e.Kind == Connection.ConnectionEventKind.StreamOpened;
        pair.Run(() =>
        {
            if (written < data.Length) written += pair.Client.Write(id, data.AsSpan(written), true);
            if (opened) while (pair.Server.Read(id, buf, out _) > 0) { }
        });
        packets = pair.PacketsSent;
        return pair;
    }

    [Fact]
    public void FastUpdatesGrowTheConnectionWindow()
    {
        // Updates every few hundred ms with a 1 s RTT: the receiver is the bottleneck, so grow.
        var pair = Transfer(1_000_000, out int fastPackets);
        Assert.InRange(pair.Server.ConnectionReceiveCredit.Window, 16_000UL, 128_000UL);
        // Slow updates (RTT of 100 µs, 5 ms per packet: every update is "late") keep the window as configured.
        var slow = Transfer(100, out int slowPackets);
        Assert.Equal(8000UL, slow.Server.ConnectionReceiveCredit.Window);
        Assert.True(fastPackets <= slowPackets, $"{fastPackets} vs {slowPackets}");
    }
}
