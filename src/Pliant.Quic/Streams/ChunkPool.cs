namespace Pliant.Quic.Streams;

/// <summary>
/// The process-wide pool of 16 KiB chunks behind stream buffers. Not <c>ArrayPool.Shared</c>:
/// receive chunks are rented on the driver's thread and returned on the application's, and the
/// shared pool's per-thread caches then miss and allocate (the bench measured ~200 MiB per GiB).
/// <para>
/// A receiver that grants flow-control credit may have to store that much data when the
/// application falls behind. <see cref="Reserve"/> lets the connection set the memory aside when its
/// window grows (early in a transfer) instead of allocating chunk by chunk whenever the backlog
/// reaches a new high — so steady-state transfers do not allocate.
/// </para>
/// </summary>
internal static class ChunkPool
{
    /// <summary>Bytes per chunk.</summary>
    public const int ChunkSize = 16 * 1024;

    /// <summary>Free chunks kept at most: 256 MiB across all connections.</summary>
    public const int MaxFreeChunks = 16 * 1024;

    private static readonly Lock s_lock = new();
    private static readonly Stack<byte[]> s_free = new();

    /// <summary>Free chunks now (for tests and diagnostics).</summary>
    public static int FreeCount
    {
        get
        {
            lock (s_lock) return s_free.Count;
        }
    }

    /// <summary>A chunk of <see cref="ChunkSize"/> bytes (contents unspecified).</summary>
    public static byte[] Rent()
    {
        lock (s_lock)
        {
            if (s_free.TryPop(out var c)) return c;
        }
        return GC.AllocateUninitializedArray<byte>(ChunkSize);
    }

    /// <summary>Gives a chunk back; dropped when the pool is full.</summary>
    public static void Return(byte[] chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (chunk.Length != ChunkSize) throw new ArgumentException("not a pool chunk", nameof(chunk));
        lock (s_lock)
        {
            if (s_free.Count < MaxFreeChunks) s_free.Push(chunk);
        }
    }

    /// <summary>
    /// Makes sure at least <paramref name="bytes"/> worth of chunks are free (up to the pool's cap),
    /// allocating the difference now.
    /// </summary>
    public static void Reserve(long bytes)
    {
        long want = Math.Min(MaxFreeChunks, (bytes + ChunkSize - 1) / ChunkSize);
        while (true)
        {
            lock (s_lock)
            {
                if (s_free.Count >= want) return;
            }
            var c = GC.AllocateUninitializedArray<byte>(ChunkSize);
            lock (s_lock)
            {
                if (s_free.Count >= want) return;
                s_free.Push(c);
            }
        }
    }
}
