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

    /// <summary>
    /// Completes when the TLS handshake has completed; until then a client's requests travel as 0-RTT early
    /// data. Already complete by default (a transport without 0-RTT).
    /// </summary>
    Task HandshakeCompleted => Task.CompletedTask;

    /// <summary>
    /// Completes once the peer has acknowledged everything written on every stream so far, or the connection has
    /// closed: a graceful shutdown waits for it before <see cref="Abort"/> (which discards unacknowledged data).
    /// Complete at once by default (a transport that delivers what it was given before it closes).
    /// </summary>
    Task WaitForSendsAcknowledgedAsync(CancellationToken ct) => Task.CompletedTask;
}

