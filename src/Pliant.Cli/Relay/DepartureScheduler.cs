using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Pliant.Cli.Relay;

/// <summary>
/// Sends delayed datagrams at their departure time from one thread (a priority queue by time, then
/// arrival order). Datagrams due within half a millisecond go at once (the wait has millisecond
/// granularity). Memory bound: at most <see cref="MaxQueuedBytes"/> of payload waits; beyond that a
/// datagram is refused (the caller counts it as queue-dropped).
/// </summary>
internal sealed class DepartureScheduler : IDisposable
{
    public const long MaxQueuedBytes = 64L << 20;

    private readonly PriorityQueue<Departure, (long Due, long Seq)> _queue = new();
    private readonly object _lock = new(); // Monitor.Wait/Pulse need an object, not System.Threading.Lock
    private readonly Thread _thread;
    private readonly long _early = Stopwatch.Frequency / 2000;
    private long _seq;
    private long _queuedBytes;
    private bool _stopped;

    public DepartureScheduler()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "relay-departures" };
        _thread.Start();
    }

    /// <summary>Queues a copy of <paramref name="datagram"/> for <paramref name="due"/> (a Stopwatch timestamp); false if the queue is full or stopped.</summary>
    public bool TryEnqueue(long due, ReadOnlySpan<byte> datagram, Socket socket, SocketAddress? to, RelayCounters counters)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.CopyTo(buffer);
        lock (_lock)
        {
            if (_stopped || _queuedBytes + datagram.Length > MaxQueuedBytes)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                return false;
            }
            _queuedBytes += datagram.Length;
            _queue.Enqueue(new Departure(buffer, datagram.Length, socket, to, counters), (due, _seq++));
            Monitor.Pulse(_lock);
        }
        return true;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            Monitor.Pulse(_lock);
        }
        _thread.Join(TimeSpan.FromSeconds(5));
        lock (_lock)
        {
            while (_queue.TryDequeue(out var d, out _)) ArrayPool<byte>.Shared.Return(d.Buffer);
        }
    }

    private void Run()
    {
        var due = new List<Departure>();
        while (true)
        {
            lock (_lock)
            {
                while (true)
                {
                    if (_stopped) return;
                    if (_queue.TryPeek(out _, out var next))
                    {
                        var wait = next.Due - Stopwatch.GetTimestamp();
                        if (wait <= _early) break;
                        Monitor.Wait(_lock, Math.Max(1, (int)(wait * 1000 / Stopwatch.Frequency)));
                    }
                    else
                    {
                        Monitor.Wait(_lock);
                    }
                }
                var now = Stopwatch.GetTimestamp() + _early;
                while (_queue.TryPeek(out var d, out var p) && p.Due <= now)
                {
                    _queue.Dequeue();
                    _queuedBytes -= d.Length;
                    due.Add(d);
                }
            }
            foreach (var d in due)
            {
                ImpairmentRelay.Send(d.Socket, d.Buffer.AsSpan(0, d.Length), d.To, d.Counters);
                ArrayPool<byte>.Shared.Return(d.Buffer);
            }
            due.Clear();
        }
    }

    private readonly record struct Departure(byte[] Buffer, int Length, Socket Socket, SocketAddress? To, RelayCounters Counters);
}
