namespace Pliant.Http3;

/// <summary>
/// The slice of a QUIC connection HTTP/3 needs. Pliant.Net's QuicConnection is adapted to this at merge;
/// tests use an in-memory implementation.
/// </summary>
public interface IH3Connection
{
    /// <summary>Opens a locally initiated stream. Its stream should implement <see cref="IH3StreamControl"/>.</summary>
    ValueTask<Stream> OpenStreamAsync(bool bidirectional, CancellationToken ct);

    /// <summary>Accepts the next peer-initiated stream; null when the connection has closed.</summary>
    ValueTask<(Stream stream, bool bidirectional, ulong streamId)?> AcceptStreamAsync(CancellationToken ct);

    /// <summary>Closes the connection with an application error code (an <see cref="Http3ErrorCode"/> value).</summary>
    void Abort(ulong errorCode);
}

/// <summary>
/// Optional extension a stream returned by <see cref="IH3Connection"/> implements: FIN, resets and its id.
/// </summary>
public interface IH3StreamControl
{
    /// <summary>QUIC stream id.</summary>
    ulong StreamId { get; }

    /// <summary>Ends the write side cleanly (FIN) after buffered data.</summary>
    void CompleteWrites();

    /// <summary>Aborts reading (STOP_SENDING) and/or writing (RESET_STREAM) with <paramref name="code"/>.</summary>
    void Abort(ulong code, bool read, bool write);
}

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
}
