using BenchmarkDotNet.Attributes;
using Pliant.Quic.Connection;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Benchmarks;

/// <summary>
/// ACK bookkeeping: recording received packet numbers (<see cref="AckTracker"/>), writing the ACK
/// frame, parsing it, and the sender's <see cref="LossRecovery.OnAckReceived"/> over 1000 in-flight packets.
/// </summary>
[MemoryDiagnoser]
public class AckBenchmarks
{
    private const int InFlight = 1000;
    private readonly byte[] _frame = new byte[1500];
    private readonly AckRange[] _ranges = new AckRange[64];
    private readonly List<SentPacket> _acked = new(InFlight);
    private readonly List<SentPacket> _lost = new(InFlight);
    private SentPacket[] _packets = null!;
    private int _frameLength;
    private ulong _nextPn;

    /// <summary>Gaps in what was received: 0 = one range, else a missing packet every Gap packets.</summary>
    [Params(0, 50)]
    public int Gap { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var tracker = new AckTracker(PacketSpace.Application);
        for (ulong pn = 0; pn < InFlight; pn++)
            if (Gap == 0 || pn % (ulong)Gap != 1) tracker.OnPacketReceived(pn, true, EcnCodepoint.Ect0, 1000);
        _frameLength = tracker.WriteAckFrame(_frame, 2000, 3);
        _packets = new SentPacket[InFlight];
        for (int i = 0; i < InFlight; i++) _packets[i] = new SentPacket();
    }

    /// <summary>1000 packets received in order (with gaps per <see cref="Gap"/>), then one ACK frame written.</summary>
    [Benchmark(OperationsPerInvoke = InFlight)]
    public int ReceiveAndWriteAck()
    {
        var tracker = new AckTracker(PacketSpace.Application);
        for (ulong pn = 0; pn < InFlight; pn++)
            if (Gap == 0 || pn % (ulong)Gap != 1) tracker.OnPacketReceived(pn, true, EcnCodepoint.NotEct, (long)pn);
        return tracker.WriteAckFrame(_frame, InFlight + 10, 3);
    }

    /// <summary>Parses the ACK frame written in setup and copies its ranges out.</summary>
    [Benchmark]
    public int ReadAckFrame()
    {
        var r = new WireReader(_frame.AsSpan(0, _frameLength), Pliant.Quic.TransportErrorCode.FrameEncodingError, "ack");
        ulong type = r.ReadVarInt();
        var ack = AckFrame.Read(ref r, type);
        return ack.CopyRanges(_ranges);
    }

    /// <summary>1000 packets sent, then one ACK (ranges per <see cref="Gap"/>) processed; per packet.</summary>
    [Benchmark(OperationsPerInvoke = InFlight)]
    public int SendAndAck()
    {
        var recovery = new LossRecovery(new RttEstimator(), new Cubic(1452));
        recovery.HandshakeConfirmed = true;
        recovery.PeerCompletedAddressValidation = true;
        long now = 1_000_000;
        ulong basePn = _nextPn;
        for (int i = 0; i < InFlight; i++)
        {
            var p = _packets[i];
            p.Reset();
            p.Space = PacketSpace.Application;
            p.PacketNumber = basePn + (ulong)i;
            p.TimeSentUs = now + i;
            p.Size = 1452;
            p.AckEliciting = true;
            p.InFlight = true;
            recovery.OnPacketSent(p, now + i);
        }
        _nextPn += InFlight;
        int n = 0;
        Span<AckRange> ranges = _ranges;
        if (Gap == 0)
        {
            ranges[n++] = new AckRange(basePn, basePn + InFlight - 1);
        }
        else
        {
            // Largest first; packet (k*Gap + 1) is missing in each block.
            for (long hi = InFlight - 1; hi >= 0 && n < ranges.Length; hi -= Gap)
            {
                long lo = Math.Max(0, hi - Gap + 2);
                if (lo <= hi) ranges[n++] = new AckRange(basePn + (ulong)lo, basePn + (ulong)hi);
            }
        }
        recovery.OnAckReceived(PacketSpace.Application, ranges[..n], 1000, null, now + 20_000, _acked, _lost);
        return _acked.Count + _lost.Count;
    }
}
