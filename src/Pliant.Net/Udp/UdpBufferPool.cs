using System.Collections.Concurrent;

namespace Pliant.Net.Udp;

/// <summary>
/// Process-wide pool of the large per-endpoint buffers: receive batches (1 MiB with GRO) and the
/// 64 KiB pinned send buffer. A client endpoint lives for one connection, so without the pool every
/// connection allocated ~1.2 MB on the pinned heap (bench: 1.3 MB per handshake), which also drives
/// gen2 collections. A few buffers of each shape are kept; the rest are left to the GC.
/// </summary>
internal static class UdpBufferPool
{
    private const int MaxRetainedPerShape = 8;

    private static readonly ConcurrentDictionary<(int Capacity, int SlotSize), ConcurrentStack<UdpReceiveBatch>> s_batches = new();
    private static readonly ConcurrentStack<byte[]> s_sendBuffers = new();

    /// <summary>Size of the send buffers handed out by <see cref="RentSendBuffer"/>.</summary>
    public const int SendBufferSize = 65536;

    /// <summary>A receive batch of this shape (reused or new).</summary>
    public static UdpReceiveBatch RentBatch(int capacity, int slotSize)
    {
        if (s_batches.TryGetValue((capacity, slotSize), out var stack) && stack.TryPop(out var batch))
        {
            batch.Count = 0;
            return batch;
        }
        return new UdpReceiveBatch(capacity, slotSize);
    }

    /// <summary>Gives a batch back once no thread uses it any more.</summary>
    public static void ReturnBatch(UdpReceiveBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var stack = s_batches.GetOrAdd((batch.Capacity, batch.SlotSize), static _ => new ConcurrentStack<UdpReceiveBatch>());
        batch.Count = 0;
        if (stack.Count < MaxRetainedPerShape) stack.Push(batch);
    }

    /// <summary>A pinned buffer of <see cref="SendBufferSize"/> bytes.</summary>
    public static byte[] RentSendBuffer() =>
        s_sendBuffers.TryPop(out var b) ? b : GC.AllocateUninitializedArray<byte>(SendBufferSize, pinned: true);

    /// <summary>Gives a send buffer back once no thread uses it any more.</summary>
    public static void ReturnSendBuffer(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length == SendBufferSize && s_sendBuffers.Count < MaxRetainedPerShape) s_sendBuffers.Push(buffer);
    }
}
