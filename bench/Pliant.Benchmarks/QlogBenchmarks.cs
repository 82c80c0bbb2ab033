using BenchmarkDotNet.Attributes;
using Pliant.Quic;
using Pliant.Quic.Diagnostics;
using Pliant.Quic.Recovery;

namespace Pliant.Benchmarks;

/// <summary>
/// The direct cost of qlog per packet event (issue 14): what the connection's thread pays for one
/// <c>quic:packet_sent</c> (a binary record appended to a block), and what the writer thread pays to turn one such
/// record into its ~210 bytes of JSON-SEQ text. The file write itself is the kernel's (tmpfs: ~65 ns per event).
/// </summary>
[MemoryDiagnoser]
public class QlogBenchmarks
{
    private const int Events = 1000;
    private readonly SentPacket _packet = new() { Space = PacketSpace.Application, Size = 1452 };
    private readonly byte[] _block = new byte[64 * 1024];
    private readonly byte[] _text = new byte[256 * 1024];
    private string _dir = null!;
    private QlogTrace _trace = null!;
    private int _blockLength;
    private long _now;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "pliant-qlog-bench-" + Environment.ProcessId);
        _trace = QlogTrace.Open(_dir, [1, 2, 3, 4, 5, 6, 7, 8], isClient: false, 0)!;
        _packet.Frames.Add(new SentFrame(SentFrameKind.Stream, StreamId: 0, Offset: 707_757_039, Length: 1418));
        // A block of packet_sent records as the connection's thread writes them, for the formatting benchmark.
        for (int i = 0; i < Events; i++)
        {
            _packet.PacketNumber = 500_000 + (ulong)i;
            _blockLength += QlogRecord.WriteSent(_block.AsSpan(_blockLength), 1_000_000 + i * 2, _packet, zeroRtt: false);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _trace.Dispose();
        QlogTrace.WaitForWriter(TimeSpan.FromSeconds(10));
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>quic:packet_sent on the connection's thread: the binary record (the writer thread formats it).</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void PacketSentRecord()
    {
        for (int i = 0; i < Events; i++)
        {
            _packet.PacketNumber++;
            _trace.PacketSent(_now += 2, _packet, zeroRtt: false);
        }
    }

    /// <summary>The writer thread's formatting of one packet_sent record into JSON-SEQ text.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int FormatPacketSent()
    {
        int at = 0, n = 0;
        while (at < _blockLength)
        {
            n += QlogFormatter.Format(_block, at, _text.AsSpan(n), out int size);
            at += size;
        }
        return n;
    }
}
