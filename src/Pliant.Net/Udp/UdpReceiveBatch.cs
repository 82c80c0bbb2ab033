using System.Net;
using Pliant.Quic.Connection;

namespace Pliant.Net.Udp;

/// <summary>One received entry: a datagram, or with GRO several equal-sized datagrams back to back.</summary>
internal struct UdpReceivedDatagram
{
    /// <summary>Bytes received in this entry.</summary>
    public int Length;

    /// <summary>Size of each datagram in the entry (the last may be shorter); equals Length without GRO.</summary>
    public int SegmentSize;

    /// <summary>ECN bits of the IP header (all segments of a GRO batch share them).</summary>
    public EcnCodepoint Ecn;

    /// <summary>The sender (IPv4-mapped addresses are unmapped); instances are cached, not allocated per packet.</summary>
    public IPEndPoint From;
}

/// <summary>
/// A caller-owned batch of receive slots backed by one pinned array, reused for every receive.
/// </summary>
internal sealed class UdpReceiveBatch
{
    private readonly byte[] _buffer;
    private readonly UdpReceivedDatagram[] _entries;

    public UdpReceiveBatch(int capacity, int slotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1200);
        Capacity = capacity;
        SlotSize = slotSize;
        _buffer = GC.AllocateUninitializedArray<byte>(capacity * slotSize, pinned: true);
        _entries = new UdpReceivedDatagram[capacity];
    }

    public int Capacity { get; }

    public int SlotSize { get; }

    /// <summary>Entries filled by the last receive.</summary>
    public int Count { get; internal set; }

    /// <summary>The pinned backing store (slot i starts at i * SlotSize).</summary>
    internal byte[] Buffer => _buffer;

    public ref UdpReceivedDatagram this[int index] => ref _entries[index];

    /// <summary>The bytes of entry <paramref name="index"/> (all its segments).</summary>
    public Span<byte> GetData(int index) => _buffer.AsSpan(index * SlotSize, _entries[index].Length);

    /// <summary>Writable slot <paramref name="index"/> (for implementations).</summary>
    internal Span<byte> GetSlot(int index) => _buffer.AsSpan(index * SlotSize, SlotSize);

    /// <summary>Number of datagrams in entry <paramref name="index"/> once GRO batches are split.</summary>
    public int SegmentCount(int index)
    {
        ref readonly var e = ref _entries[index];
        if (e.Length == 0) return 1; // an empty datagram is still a datagram
        int seg = e.SegmentSize <= 0 ? e.Length : e.SegmentSize;
        return (e.Length + seg - 1) / seg;
    }

    /// <summary>Datagram <paramref name="segment"/> of entry <paramref name="index"/> (GRO split).</summary>
    public Span<byte> GetSegment(int index, int segment)
    {
        ref readonly var e = ref _entries[index];
        int seg = e.SegmentSize <= 0 ? e.Length : e.SegmentSize;
        int start = segment * seg;
        int len = Math.Min(seg, e.Length - start);
        return _buffer.AsSpan(index * SlotSize + start, len);
    }
}
