using System.Threading.Channels;

namespace Pliant.Http3.Qpack;

/// <summary>
/// Instructions for one of our QPACK streams (encoder or decoder, RFC 9204 §4.2), written in the order they
/// were enqueued — which is the order the table state they describe changed, so it must be kept (an Insert
/// Count Increment after a Section Acknowledgment means something else than before it). Enqueueing never
/// blocks; a pump writes to the stream once it is attached. <see cref="PendingBytes"/> lets the owner bound
/// what a peer that withholds flow-control credit can make us hold (§7.3).
/// </summary>
public sealed class QpackInstructionQueue
{
    // Synchronous continuations: the waiting pump writes right where an instruction is enqueued (the request's
    // code, on the endpoint's thread, never under the endpoint's lock) instead of through a thread-pool work
    // item per wake-up — two pumps per connection (issue 17).
    private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private long _pending;
    private long _written;

    /// <summary>Bytes enqueued and not yet written to the stream.</summary>
    public long PendingBytes => Interlocked.Read(ref _pending);

    /// <summary>Bytes written to the stream so far.</summary>
    public long BytesWritten => Interlocked.Read(ref _written);

    /// <summary>Queues <paramref name="instructions"/> (ignored when empty or after <see cref="Complete"/>).</summary>
    public void Enqueue(byte[] instructions)
    {
        ArgumentNullException.ThrowIfNull(instructions);
        if (instructions.Length == 0) return;
        Interlocked.Add(ref _pending, instructions.Length);
        if (!_queue.Writer.TryWrite(instructions)) Interlocked.Add(ref _pending, -instructions.Length);
    }

    /// <summary>Writes queued and future instructions to <paramref name="stream"/> until <see cref="Complete"/> or a write fails.</summary>
    public async Task PumpAsync(Stream stream, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out var chunk))
                {
                    await stream.WriteAsync(chunk, ct).ConfigureAwait(false);
                    Interlocked.Add(ref _pending, -chunk.Length);
                    Interlocked.Add(ref _written, chunk.Length);
                }
                await stream.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is going away; nothing more will be sent.
        }
    }

    /// <summary>Takes the next queued chunk without a stream (tests, and transports that carry instructions themselves).</summary>
    internal bool TryDequeue(out byte[] chunk)
    {
        if (!_queue.Reader.TryRead(out chunk!)) return false;
        Interlocked.Add(ref _pending, -chunk.Length);
        Interlocked.Add(ref _written, chunk.Length);
        return true;
    }

    /// <summary>No more instructions (the connection closed).</summary>
    public void Complete() => _queue.Writer.TryComplete();
}
