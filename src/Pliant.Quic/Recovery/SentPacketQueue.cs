namespace Pliant.Quic.Recovery;

/// <summary>
/// The sent packets of one packet number space, indexed by packet number: a ring buffer whose slot i
/// holds packet number <see cref="BasePacketNumber"/> + i. Lookup is O(1), so processing an ACK costs
/// O(acknowledged packets + ranges) and loss detection walks packets in packet-number order.
/// Removed slots stay as holes until they reach the front; each slot also remembers whether its packet
/// was acknowledged (for persistent congestion, RFC 9002 §7.6.2).
/// </summary>
internal sealed class SentPacketQueue
{
    private SentPacket?[] _slots = new SentPacket?[64];
    private bool[] _acked = new bool[64];
    private int _head;
    private int _count;

    /// <summary>Packet number of the front slot (meaningful when <see cref="SlotCount"/> &gt; 0).</summary>
    public ulong BasePacketNumber { get; private set; }

    /// <summary>Slots from the front to the last sent packet, holes included.</summary>
    public int SlotCount => _count;

    /// <summary>Packets held.</summary>
    public int Count { get; private set; }

    /// <summary>Packet number one past the last slot.</summary>
    public ulong EndPacketNumber => BasePacketNumber + (ulong)_count;

    /// <summary>Appends a packet; packet numbers must increase (skipped numbers become holes).</summary>
    public void Add(SentPacket packet)
    {
        ulong pn = packet.PacketNumber;
        if (_count == 0)
        {
            _head = 0;
            BasePacketNumber = pn;
        }
        else if (pn < EndPacketNumber)
        {
            throw new InvalidOperationException("packet numbers must increase within a space");
        }

        ulong gap = pn - EndPacketNumber;
        if (gap > 1 << 20) throw new InvalidOperationException("packet number jump too large");
        for (ulong i = 0; i < gap; i++) Push(null);
        Push(packet);
        Count++;
    }

    /// <summary>The packet with <paramref name="pn"/>, or null.</summary>
    public SentPacket? Get(ulong pn)
    {
        if (_count == 0 || pn < BasePacketNumber || pn >= EndPacketNumber) return null;
        return _slots[Index(pn)];
    }

    /// <summary>True when <paramref name="pn"/> is still in the window and its packet was acknowledged.</summary>
    public bool WasAcked(ulong pn) =>
        _count > 0 && pn >= BasePacketNumber && pn < EndPacketNumber && _acked[Index(pn)];

    /// <summary>Removes and returns the packet with <paramref name="pn"/>, marking its slot acknowledged or not.</summary>
    public SentPacket? Remove(ulong pn, bool acked)
    {
        if (_count == 0 || pn < BasePacketNumber || pn >= EndPacketNumber) return null;
        int i = Index(pn);
        var p = _slots[i];
        if (p is null) return null;
        _slots[i] = null;
        _acked[i] = acked;
        Count--;
        TrimFront();
        return p;
    }

    /// <summary>Removes everything.</summary>
    public void Clear()
    {
        Array.Clear(_slots);
        Array.Clear(_acked);
        _head = 0;
        _count = 0;
        Count = 0;
    }

    private int Index(ulong pn) => (int)((ulong)_head + (pn - BasePacketNumber)) & (_slots.Length - 1);

    private void Push(SentPacket? p)
    {
        if (_count == _slots.Length) Grow();
        int i = (_head + _count) & (_slots.Length - 1);
        _slots[i] = p;
        _acked[i] = false;
        _count++;
    }

    private void Grow()
    {
        var slots = new SentPacket?[_slots.Length * 2];
        var acked = new bool[_slots.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            int j = (_head + i) & (_slots.Length - 1);
            slots[i] = _slots[j];
            acked[i] = _acked[j];
        }

        _slots = slots;
        _acked = acked;
        _head = 0;
    }

    private void TrimFront()
    {
        while (_count > 0 && _slots[_head] is null)
        {
            _acked[_head] = false;
            _head = (_head + 1) & (_slots.Length - 1);
            BasePacketNumber++;
            _count--;
        }
    }
}
