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
}

