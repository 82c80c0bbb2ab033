using BenchmarkDotNet.Attributes;
using Pliant.Quic;
using Pliant.Quic.Streams;
using Pliant.Quic.Wire;

namespace Pliant.Benchmarks;

/// <summary>
/// Stream data path: STREAM frame encode/decode, <see cref="ReceiveBuffer"/> reassembly (in order and
/// reordered), and a sending <see cref="StreamManager"/> feeding a receiving one 1 MiB through 1200-byte packets.
/// </summary>
[MemoryDiagnoser]
public class StreamBenchmarks
{
    private const int Payload = 1100;
    private const int TransferBytes = 1 << 20;
    private readonly byte[] _data = new byte[TransferBytes];
    private readonly byte[] _packet = new byte[1200];
    private readonly byte[] _readBuffer = new byte[64 << 10];
    private readonly List<SentFrame> _frames = new(16);
    private int[] _order = null!;
    private int _frameLength;

    [GlobalSetup]
    public void Setup()
    {
        new Random(3).NextBytes(_data);
        _frameLength = StreamFrame.Write(_packet, 4, 1 << 20, _data.AsSpan(0, Payload), fin: false, withLength: true);
        int chunks = TransferBytes / Payload;
        _order = Enumerable.Range(0, chunks).ToArray();
        // Swap neighbours every 8 chunks: mild reordering as after a loss.
        for (int i = 0; i + 1 < chunks; i += 8) (_order[i], _order[i + 1]) = (_order[i + 1], _order[i]);
    }

    [Benchmark]
    public int EncodeStreamFrame() =>
        StreamFrame.Write(_packet, 4, 1 << 20, _data.AsSpan(0, Payload), fin: false, withLength: true);

    [Benchmark]
    public int DecodeStreamFrame()
    {
        var r = new WireReader(_packet.AsSpan(0, _frameLength), TransportErrorCode.FrameEncodingError, "stream");
        ulong type = r.ReadVarInt();
        var f = StreamFrame.Read(ref r, type);
        return f.Data.Length;
    }

    /// <summary>1 MiB written into a ReceiveBuffer in 1100-byte pieces (in order), read out in 64 KiB reads.</summary>
    [Benchmark]
    public long ReassembleInOrder() => Reassemble(reordered: false);

    /// <summary>As <see cref="ReassembleInOrder"/> with every 8th pair of pieces swapped.</summary>
    [Benchmark]
    public long ReassembleReordered() => Reassemble(reordered: true);

    private long Reassemble(bool reordered)
    {
        using var buffer = new ReceiveBuffer();
        long read = 0;
        for (int i = 0; i < _order.Length; i++)
        {
            int chunk = reordered ? _order[i] : i;
            int offset = chunk * Payload;
            buffer.Write((ulong)offset, _data.AsSpan(offset, Payload), fin: false);
            if (buffer.ReadableBytes >= _readBuffer.Length) read += buffer.Read(_readBuffer, out _);
        }
        while (buffer.ReadableBytes > 0) read += buffer.Read(_readBuffer, out _);
        return read;
    }

    /// <summary>
    /// 1 MiB through two StreamManagers: write, WriteStreamFrames into 1200-byte packets, decode,
    /// OnStreamFrame, OnFrameAcked, Read. Windows are large so no flow-control frames are needed.
    /// </summary>
    [Benchmark]
    public long StreamManagerTransfer()
    {
        var settings = new LocalStreamSettings
        {
            InitialMaxData = 1 << 30,
            InitialMaxStreamDataBidiLocal = 1 << 30,
            InitialMaxStreamDataBidiRemote = 1 << 30,
            MaxConnectionWindow = 1 << 30,
            MaxStreamWindow = 1 << 30,
            SendBufferPerStream = 2 << 20,
        };
        var limits = new PeerStreamLimits
        {
            InitialMaxData = settings.InitialMaxData,
            InitialMaxStreamDataBidiLocal = settings.InitialMaxStreamDataBidiLocal,
            InitialMaxStreamDataBidiRemote = settings.InitialMaxStreamDataBidiRemote,
            InitialMaxStreamDataUni = settings.InitialMaxStreamDataUni,
            MaxStreamsBidi = settings.MaxStreamsBidi,
            MaxStreamsUni = settings.MaxStreamsUni,
        };
        using var sender = new StreamManager(true, settings);
        using var receiver = new StreamManager(false, settings);
        sender.SetPeerLimits(limits);
        receiver.SetPeerLimits(limits);
        sender.TryOpenStream(true, out ulong id);
        int written = sender.Write(id, _data, fin: true);
        long read = 0;
        while (sender.HasPendingStreamData)
        {
            _frames.Clear();
            int n = sender.WriteStreamFrames(_packet, _frames);
            if (n == 0) break;
            var r = new WireReader(_packet.AsSpan(0, n), TransportErrorCode.FrameEncodingError, "packet");
            while (!r.IsEmpty)
            {
                ulong type = r.ReadVarInt();
                var f = StreamFrame.Read(ref r, type);
                receiver.OnStreamFrame(f.StreamId, f.Offset, f.Data, f.Fin, 0);
            }
            foreach (var f in _frames) sender.OnFrameAcked(f);
            read += receiver.Read(id, _readBuffer, out _);
        }
        while (true)
        {
            int k = receiver.Read(id, _readBuffer, out bool fin);
            read += k;
            if (k == 0 || fin) break;
        }
        return read + written;
    }
}
