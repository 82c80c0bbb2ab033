using System.Buffers;
using Pliant.Http3.Frames;
using Pliant.Http3.Qpack;

namespace Pliant.Http3.Session;

/// <summary>Writes HEADERS and DATA frames to a request stream.</summary>
internal static class Http3DataWriter
{
    public static async ValueTask WriteHeadersAsync(Stream stream, IEnumerable<Http3Field> fields, CancellationToken ct)
    {
        byte[] frame = Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode(fields));
        await stream.WriteAsync(frame, ct).ConfigureAwait(false);
    }

    /// <summary>One DATA frame; the payload is not copied.</summary>
    public static async ValueTask WriteDataAsync(Stream stream, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (payload.IsEmpty) return;
        byte[] header = new byte[Http3FrameWriter.MaxHeaderLength];
        int n = Http3FrameWriter.WriteHeader(header, Http3FrameType.Data, (ulong)payload.Length);
        await stream.WriteAsync(header.AsMemory(0, n), ct).ConfigureAwait(false);
        await stream.WriteAsync(payload, ct).ConfigureAwait(false);
    }

    /// <summary>Copies <paramref name="body"/> into DATA frames of up to 64 KiB.</summary>
    public static async Task CopyBodyAsync(Stream stream, Stream body, CancellationToken ct)
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
                await stream.WriteAsync(buf.AsMemory(Payload - hl, hl + n), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }
}
