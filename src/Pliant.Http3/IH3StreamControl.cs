namespace Pliant.Http3;

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
