using Pliant.Net;

namespace Pliant.Http3;

/// <summary>
/// A Pliant <see cref="QuicConnection"/> as HTTP/3 sees it (<see cref="IH3Connection"/>): streams are
/// wrapped in <see cref="QuicH3Stream"/>; a connection that closed ends <see cref="AcceptStreamAsync"/> with null.
/// </summary>
public class QuicH3Connection(QuicConnection connection) : IH3Connection
{
    /// <summary>The QUIC connection.</summary>
    public QuicConnection Connection { get; } = connection ?? throw new ArgumentNullException(nameof(connection));

    /// <inheritdoc />
    public async ValueTask<Stream> OpenStreamAsync(bool bidirectional, CancellationToken ct)
    {
        var s = await Connection.OpenOutboundStreamAsync(bidirectional ? QuicStreamType.Bidirectional : QuicStreamType.Unidirectional, ct).ConfigureAwait(false);
        return new QuicH3Stream(s);
    }

    /// <inheritdoc />
    public async ValueTask<(Stream stream, bool bidirectional, ulong streamId)?> AcceptStreamAsync(CancellationToken ct)
    {
        try
        {
            // No exception when the connection closes: every connection's accept loop ends that way (issue 17).
            var s = await Connection.AcceptInboundStreamOrNullAsync(ct).ConfigureAwait(false);
            if (s is null) return null;
            return (new QuicH3Stream(s), s.Type == QuicStreamType.Bidirectional, (ulong)s.Id);
        }
        catch (QuicException ex) when (H3TransportErrors.IsConnectionGone(ex) || ex.QuicError == QuicError.OperationAborted)
        {
            return null; // the connection has closed (locally: OperationAborted)
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Abort(ulong errorCode) => _ = CloseQuietlyAsync((long)errorCode);

    /// <inheritdoc />
    public Task HandshakeCompleted => Connection.HandshakeCompleted;

    /// <inheritdoc />
    public Task WaitForSendsAcknowledgedAsync(CancellationToken ct) => Connection.WaitForSendsAcknowledgedAsync(ct);

    private async Task CloseQuietlyAsync(long code)
    {
        try
        {
            await Connection.CloseAsync(code).ConfigureAwait(false);
        }
        catch (QuicException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
