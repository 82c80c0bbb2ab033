using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Pliant.Net.Udp;
using Pliant.Quic.Connection;

namespace Pliant.Router.SharedPort;

/// <summary>
/// What one listener of a <see cref="SharedQuicPort"/> sees as its socket: datagrams the port's demultiplexer queued
/// for it, and sends that go straight out of the shared socket. The queue is bounded (<see cref="MaxQueued"/>
/// datagrams, then further ones are dropped and counted: a listener that does not keep up loses its own datagrams,
/// not the others'). Each queued datagram holds a pooled buffer of its size until the listener's driver takes it.
/// </summary>
internal sealed class SharedPortTransport : IUdpTransport
{
    /// <summary>Datagrams waiting for one listener at most.</summary>
    public const int MaxQueued = 4_096;

    private const int SlotSize = 2048;

    private readonly IUdpTransport _shared;
    private readonly Lock _sendLock;
    private readonly ConcurrentQueue<(byte[] Data, int Length, IPEndPoint From, EcnCodepoint Ecn)> _queue = new();
    private readonly ManualResetEventSlim _signal = new(false);
    private int _count;
    private int _interrupted;
    private volatile bool _disposed;

    public SharedPortTransport(IUdpTransport shared, Lock sendLock)
    {
        _shared = shared;
        _sendLock = sendLock;
    }

    public IPEndPoint LocalEndPoint => _shared.LocalEndPoint;

    public bool GsoEnabled => _shared.GsoEnabled;

    public int MaxSegments => _shared.MaxSegments;

    public UdpCounters Counters => _shared.Counters;

    public bool IsDisposed => _disposed;

    /// <summary>Queues a copy of <paramref name="datagram"/>; false (not queued) when the queue is full, the datagram too large or the listener gone.</summary>
    public bool Enqueue(ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn)
    {
        if (_disposed || datagram.Length > SlotSize) return false;
        if (Interlocked.Increment(ref _count) > MaxQueued)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.CopyTo(buffer);
        _queue.Enqueue((buffer, datagram.Length, from, ecn));
        _signal.Set();
        return true;
    }

    public UdpReceiveBatch CreateReceiveBatch() => UdpBufferPool.RentBatch(capacity: 32, slotSize: SlotSize);

    public int ReceiveBatch(UdpReceiveBatch batch, int timeoutMs)
    {
        if (timeoutMs > 0 && _queue.IsEmpty) Wait(timeoutMs * 1000L);
        int n = 0;
        while (n < batch.Capacity && _queue.TryDequeue(out var item))
        {
            Interlocked.Decrement(ref _count);
            item.Data.AsSpan(0, item.Length).CopyTo(batch.GetSlot(n));
            ArrayPool<byte>.Shared.Return(item.Data);
            ref var entry = ref batch[n];
            entry.Length = item.Length;
            entry.SegmentSize = item.Length;
            entry.Ecn = item.Ecn;
            entry.From = item.From;
            n++;
        }
        batch.Count = n;
        return n;
    }

    public void Send(ReadOnlySpan<byte> data, IPEndPoint destination, int segmentSize, EcnCodepoint ecn)
    {
        if (_disposed) return;
        try
        {
            lock (_sendLock) _shared.Send(data, destination, segmentSize, ecn);
        }
        catch (ObjectDisposedException)
        {
            // The shared port was closed under a connection that outlived it: its datagrams are lost.
        }
    }

    /// <summary>
    /// Blocks until a datagram is queued, <see cref="Interrupt"/> is called or the time passes. The flag makes an
    /// interrupt between the driver's last check and this wait count (the event is reset first, then both are checked).
    /// Timeouts have the event's millisecond granularity.
    /// </summary>
    public void Wait(long timeoutUs)
    {
        if (_disposed) return;
        _signal.Reset();
        if (!_queue.IsEmpty || Interlocked.Exchange(ref _interrupted, 0) == 1) return;
        if (timeoutUs < 0) _signal.Wait();
        else _signal.Wait(TimeSpan.FromMicroseconds(timeoutUs));
        Interlocked.Exchange(ref _interrupted, 0);
    }

    public void Interrupt()
    {
        Volatile.Write(ref _interrupted, 1);
        _signal.Set();
    }

    /// <summary>The listener is gone: queued datagrams are released; the shared socket stays open for the others.</summary>
    public void Dispose()
    {
        _disposed = true;
        _signal.Set();
        while (_queue.TryDequeue(out var item)) ArrayPool<byte>.Shared.Return(item.Data);
    }
}
