using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace Pliant.Quic.Diagnostics;

/// <summary>
/// One file being written by the writer thread: its handle, where the next bytes go, and how many of its blocks wait.
/// </summary>
internal sealed class QlogFile(SafeFileHandle handle, bool binary) : IQlogTextSink
{
    public SafeFileHandle Handle { get; } = handle;

    /// <summary>A binary trace (<see cref="QlogBinaryFile"/>): blocks are written as they are, not formatted.</summary>
    public bool Binary { get; } = binary;

    /// <summary>Bytes written so far (the offset of the next write); writer thread only.</summary>
    public long Length;

    /// <summary>Blocks of this file handed over and not yet written (bounded by <see cref="QlogWriter.MaxQueuedBlocksPerFile"/>).</summary>
    public int Queued;

    /// <summary>Set by the writer when a write failed (full disk…): the trace stops recording.</summary>
    public volatile bool Failed;

    /// <summary>Appends <paramref name="bytes"/> with a positional write; writer thread only (or before any block).</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        RandomAccess.Write(Handle, bytes, Length);
        Length += bytes.Length;
    }
}

/// <summary>
/// The process's qlog writer: one background thread that takes the blocks of binary records the connections'
/// <see cref="QlogTrace"/>s hand over, formats them as JSON-SEQ (<see cref="QlogFormatter"/>) and writes them with
/// positional writes, so neither formatting nor file I/O happens on a connection's thread.
/// </summary>
/// <remarks>
/// Bounds: at most <see cref="MaxQueuedBlocksPerFile"/> blocks per trace (and two more at its end: the blocks handed
/// over when the connection closes and when the trace ends) and <see cref="MaxQueuedBlocks"/> in the process wait to
/// be written (blocks are 64 KiB, the first of a trace 4 KiB: at most 1 MiB of records per trace and
/// 16 MiB in all; about 20,000 packet events per trace); a trace whose writer is that far behind drops its events and
/// says so in a <c>loglevel:warning</c> record instead of blocking the network thread or growing memory. A normal
/// process exit waits (up to 10 s) for everything handed over to be written.
/// </remarks>
internal static class QlogWriter
{
    public const int MaxQueuedBlocksPerFile = 16;
    public const int MaxQueuedBlocks = 256;
    public const int BlockSize = 64 * 1024;
    public const int FirstBlockSize = 4 * 1024;

    private readonly record struct Item(QlogFile File, byte[]? Block, int Length, bool Close);

    private const int MaxFreeBlocks = 64; // 4 MiB of empty blocks kept for reuse

    private static readonly ConcurrentQueue<Item> s_queue = new();
    private static readonly ConcurrentQueue<byte[]> s_freeBlocks = new();
    private static readonly ManualResetEventSlim s_running = new(initialState: true); // reset: paused (tests)
    private static int s_freeCount;
    // No spinning before it blocks (SemaphoreSlim's spin-then-yield cost a third of qlog's CPU in the 1 GiB bench:
    // the writer goes idle hundreds of times per GiB).
    private static readonly ManualResetEventSlim s_signal = new(initialState: false, spinCount: 0);
    private static readonly Lock s_startLock = new();
    private static int s_queuedBlocks;
    private static long s_pending; // items enqueued and not yet finished
    private static int s_sleeping;
    private static Thread? s_thread;

    static QlogWriter()
    {
        // A normal exit (Main returns, Environment.Exit, SIGTERM handled by the host) keeps what was handed over.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Drain(TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// Hands a block over; false (the block stays the caller's) when the trace or the process already has as many
    /// blocks waiting as the bounds allow.
    /// </summary>
    /// <param name="file">The trace's file.</param>
    /// <param name="block">Records, the writer's from now on.</param>
    /// <param name="length">Bytes of records in the block.</param>
    /// <param name="last">
    /// The block a closing connection or ending trace hands over (at most two per trace): taken even beyond the
    /// bounds, so a trace's end and its count of dropped events always reach the file.
    /// </param>
    public static bool TryWrite(QlogFile file, byte[] block, int length, bool last = false)
    {
        if (!last && Volatile.Read(ref file.Queued) >= MaxQueuedBlocksPerFile) return false;
        if (Interlocked.Increment(ref s_queuedBlocks) > MaxQueuedBlocks && !last)
        {
            Interlocked.Decrement(ref s_queuedBlocks);
            return false;
        }
        Interlocked.Increment(ref file.Queued);
        Enqueue(new Item(file, block, length, Close: false));
        return true;
    }

    /// <summary>
    /// A block for records of at least <paramref name="minimum"/> bytes: a trace's first one small (4 KiB, an idle
    /// connection holds no more), later ones 64 KiB from the free list the writer refills (no allocation once as
    /// many blocks were in use as ever before), a larger one for a record that big.
    /// </summary>
    public static byte[] RentBlock(int minimum, bool first)
    {
        if (first && minimum <= FirstBlockSize) return new byte[FirstBlockSize];
        if (minimum <= BlockSize && s_freeBlocks.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref s_freeCount);
            return block;
        }
        return new byte[Math.Max(minimum, BlockSize)];
    }

    /// <summary>Keeps a 64 KiB block for reuse (up to 64 of them); others go to the garbage collector.</summary>
    public static void ReturnBlock(byte[] block)
    {
        if (block.Length != BlockSize) return;
        if (Interlocked.Increment(ref s_freeCount) <= MaxFreeBlocks) s_freeBlocks.Enqueue(block);
        else Interlocked.Decrement(ref s_freeCount);
    }

    /// <summary>Holds the writer before its next block until disposed (tests of the bounds).</summary>
    internal static IDisposable PauseForTests()
    {
        s_running.Reset();
        return new Resume();
    }

    private sealed class Resume : IDisposable
    {
        public void Dispose() => s_running.Set();
    }

    /// <summary>Closes the file once everything handed over before is written; never refused.</summary>
    public static void Close(QlogFile file) => Enqueue(new Item(file, null, 0, Close: true));

    /// <summary>
    /// Waits until every block handed over so far is written (true), or the timeout passes (false).
    /// </summary>
    public static bool Drain(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Interlocked.Read(ref s_pending) > 0)
        {
            if (Environment.TickCount64 >= deadline) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    private static void Enqueue(Item item)
    {
        Interlocked.Increment(ref s_pending);
        s_queue.Enqueue(item);
        EnsureStarted();
        // Wake the writer only when it sleeps: one wake-up per block at most, none while it is busy.
        if (Interlocked.Exchange(ref s_sleeping, 0) == 1) s_signal.Set();
    }

    private static void EnsureStarted()
    {
        if (s_thread is not null) return;
        lock (s_startLock)
        {
            if (s_thread is not null) return;
            var thread = new Thread(Run) { IsBackground = true, Name = "pliant qlog writer" };
            thread.Start();
            s_thread = thread;
        }
    }

    private static void Run()
    {
        var text = new byte[QlogFormatter.TextBufferSize];
        while (true)
        {
            while (s_queue.TryDequeue(out var item))
            {
                s_running.Wait();
                Process(item, text);
                Interlocked.Decrement(ref s_pending);
            }
            Volatile.Write(ref s_sleeping, 1);
            // A block enqueued between the last TryDequeue and the flag above would not wake us: look once more.
            if (!s_queue.IsEmpty && Interlocked.Exchange(ref s_sleeping, 0) == 1) continue;
            s_signal.Wait();
            // Whoever set it also cleared the flag; what they enqueued (and anything after) is taken by the loop.
            s_signal.Reset();
        }
    }

    private static void Process(Item item, byte[] text)
    {
        var file = item.File;
        try
        {
            if (item.Block is { } block)
            {
                try
                {
                    if (file.Failed)
                    {
                        // the trace stopped: nothing more is written
                    }
                    else if (file.Binary)
                    {
                        // A binary trace (.pqlog, QlogBinaryFile): the records as they are, after their length.
                        Span<byte> length = stackalloc byte[QlogBinaryFile.BlockHeaderSize];
                        QlogRecord.PutI32(length, 0, item.Length);
                        file.Write(length);
                        file.Write(block.AsSpan(0, item.Length));
                    }
                    else
                    {
                        QlogFormatter.FormatRecords(block.AsSpan(0, item.Length), text, file);
                    }
                }
                finally
                {
                    ReturnBlock(block);
                    Interlocked.Decrement(ref file.Queued);
                    Interlocked.Decrement(ref s_queuedBlocks);
                }
            }
            if (item.Close) file.Handle.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            file.Failed = true; // a full disk: the trace stops, the connection does not
        }
    }
}
