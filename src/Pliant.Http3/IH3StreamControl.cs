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

    /// <summary>
    /// True when some of the peer's data on this stream arrived as 0-RTT early data, which an attacker may
    /// have replayed (RFC 9001 §9.2; Pliant.Net's <c>QuicStream.ReceivedEarlyData</c>). False by default.
    /// </summary>
    bool ReceivedEarlyData => false;

    /// <summary>
    /// The priority of the response on this stream (RFC 9218), for a transport whose stream scheduler takes
    /// one (Pliant's QUIC streams do: <see cref="QuicH3Stream"/>). Ignored by default; the HTTP/3 layer also orders
    /// its own hand-overs of DATA (<see cref="Http3PriorityScheduler"/>).
    /// </summary>
    void SetPriority(Http3Priority priority)
    {
    }
}
