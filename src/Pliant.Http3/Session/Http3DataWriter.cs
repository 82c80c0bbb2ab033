using System.Buffers;
using Pliant.Http3.Frames;

namespace Pliant.Http3.Session;

/// <summary>Writes DATA frames to a request stream, in the connection's priority order when given a turn.</summary>
internal static class Http3DataWriter
{
    /// <summary>One DATA frame; the payload is not copied.</summary>
    public static async ValueTask WriteDataAsync(Stream stream, ReadOnlyMemory<byte> payload, Http3PriorityScheduler.Turn? turn, CancellationToken ct)
    {
        if (payload.IsEmpty) return;
        byte[] header = new byte[Http3FrameWriter.MaxHeaderLength];
        int n = Http3FrameWriter.WriteHeader(header, Http3FrameType.Data, (ulong)payload.Length);
        using (turn is null ? default : await turn.EnterAsync(ct).ConfigureAwait(false))
        {
            await stream.WriteAsync(header.AsMemory(0, n), ct).ConfigureAwait(false);
            await stream.WriteAsync(payload, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Copies <paramref name="body"/> into DATA frames of up to 64 KiB.</summary>
    public static async Task CopyBodyAsync(Stream stream, Stream body, Http3PriorityScheduler.Turn? turn, CancellationToken ct)
    {
        const int Payload = Http3FrameWriter.MaxHeaderLength;
        byte[] buf = ArrayPool<byte>.Shared.Rent(64 * 1024 + Payload);
        byte[] h = new byte[Http3FrameWriter.MaxHeaderLength];
        try
        {
            while (true)
            {
                int n = await body.ReadAsync(buf.AsMemory(Payload, buf.Length - Payload), ct).ConfigureAwait(false);
                if (n == 0) break;
                // Header goes right in front of the payload so the frame is one write.
                int hl = Http3FrameWriter.WriteHeader(h, Http3FrameType.Data, (ulong)n);
                h.AsSpan(0, hl).CopyTo(buf.AsSpan(Payload - hl));
                using (turn is null ? default : await turn.EnterAsync(ct).ConfigureAwait(false))
                    await stream.WriteAsync(buf.AsMemory(Payload - hl, hl + n), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }
}

/// <summary>A write-only stream whose writes become DATA frames (a response body, or a request body a writer pushes).</summary>
internal sealed class DataFrameWriteStream(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, Func<CancellationToken, Task> flush) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => flush(CancellationToken.None).GetAwaiter().GetResult();
    public override Task FlushAsync(CancellationToken cancellationToken) => flush(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => write(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => write(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => write(buffer, cancellationToken);
}
