namespace Pliant.Http3;

/// <summary>Helpers over <see cref="IH3StreamControl"/> for streams that may not implement it.</summary>
internal static class H3StreamExtensions
{
    public static void CompleteWrites(this Stream s)
    {
        if (s is IH3StreamControl c) c.CompleteWrites();
        else s.Dispose();
    }

    /// <summary>Best effort: a stream already closed by the connection is left alone.</summary>
    public static void AbortStream(this Stream s, Http3ErrorCode code, bool read = true, bool write = true)
    {
        try
        {
            if (s is IH3StreamControl c) c.Abort((ulong)code, read, write);
            else s.Dispose();
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or IOException)
        {
        }
    }

    public static ulong? GetStreamId(this Stream s) => s is IH3StreamControl c ? c.StreamId : null;

    public static bool ReceivedEarlyData(this Stream s) => s is IH3StreamControl { ReceivedEarlyData: true };

    public static void SetPriority(this Stream s, Http3Priority priority)
    {
        if (s is IH3StreamControl c) c.SetPriority(priority);
    }
}
