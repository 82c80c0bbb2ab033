namespace Pliant.Quic.Recovery;

/// <summary>A simple, non-thread-safe pool of <see cref="SentPacket"/> objects (one per connection).</summary>
public sealed class SentPacketPool
{
    private readonly Stack<SentPacket> _free = new();
    private readonly int _maxRetained;

    /// <summary>Creates a pool that keeps at most <paramref name="maxRetained"/> free packets.</summary>
    public SentPacketPool(int maxRetained = 1024) => _maxRetained = maxRetained;

    /// <summary>Free packets held.</summary>
    public int Count => _free.Count;

    /// <summary>A cleared packet.</summary>
    public SentPacket Rent() => _free.TryPop(out var p) ? p : new SentPacket();

    /// <summary>Returns a packet once nothing refers to it any more; it is reset here.</summary>
    public void Return(SentPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        packet.Reset();
        if (_free.Count < _maxRetained) _free.Push(packet);
    }
}
