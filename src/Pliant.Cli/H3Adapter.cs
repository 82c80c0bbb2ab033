using Pliant.Http3;
using Pliant.Net;

namespace Pliant.Cli;

/// <summary>Adapts a <see cref="QuicConnection"/> to the slice HTTP/3 needs (<see cref="IH3Connection"/>).</summary>
internal sealed class H3Adapter(QuicConnection connection) : IH3Connection
{
    public QuicConnection Connection { get; } = connection;

    public async ValueTask<Stream> OpenStreamAsync(bool bidirectional, CancellationToken ct)
    {
        var s = await Connection.OpenOutboundStreamAsync(bidirectional ? QuicStreamType.Bidirectional : QuicStreamType.Unidirectional, ct).ConfigureAwait(false);
        return new H3QuicStream(s);
    }

    public async ValueTask<(Stream stream, bool bidirectional, ulong streamId)?> AcceptStreamAsync(CancellationToken ct)
    {
        try
        {
            var s = await Connection.AcceptInboundStreamAsync(ct).ConfigureAwait(false);
            return (new H3QuicStream(s), s.Type == QuicStreamType.Bidirectional, (ulong)s.Id);
        }
        catch (QuicException ex) when (ex.QuicError is QuicError.ConnectionAborted or QuicError.ConnectionIdle or QuicError.OperationAborted or QuicError.ConnectionTimeout or QuicError.TransportError)
        {
            return null; // the connection has closed
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    public void Abort(ulong errorCode) => _ = CloseQuietlyAsync((long)errorCode);

    public Task HandshakeCompleted => Connection.HandshakeCompleted;

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

/// <summary>A <see cref="QuicStream"/> seen through <see cref="IH3StreamControl"/> (FIN, resets, id).</summary>
internal sealed class H3QuicStream(QuicStream inner) : Stream, IH3StreamControl
{
    public QuicStream Inner { get; } = inner;

    public ulong StreamId => (ulong)Inner.Id;

    public bool ReceivedEarlyData => Inner.ReceivedEarlyData;

    public void CompleteWrites() => Inner.CompleteWrites();

    public void Abort(ulong code, bool read, bool write)
    {
        var dir = (read ? QuicAbortDirection.Read : 0) | (write ? QuicAbortDirection.Write : 0);
        if (dir != 0) Inner.Abort(dir, (long)code);
    }

    public override bool CanRead => Inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => Inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => Inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => Inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => Inner.Read(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => Inner.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => Inner.WriteAsync(buffer, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override ValueTask DisposeAsync() => Inner.DisposeAsync();

    protected override void Dispose(bool disposing)
    {
        if (disposing) Inner.Dispose();
        base.Dispose(disposing);
    }
}
