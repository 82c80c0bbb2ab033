using Pliant.Net;

namespace Pliant.Http3;

/// <summary>A <see cref="QuicStream"/> seen through <see cref="IH3StreamControl"/> (FIN, resets, id, early data).</summary>
public sealed class QuicH3Stream(QuicStream inner) : Stream, IH3StreamControl
{
    /// <summary>The QUIC stream.</summary>
    public QuicStream Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <inheritdoc />
    public ulong StreamId => (ulong)Inner.Id;

    /// <inheritdoc />
    public bool ReceivedEarlyData => Inner.ReceivedEarlyData;

    /// <inheritdoc />
    public void CompleteWrites() => Inner.CompleteWrites();

    /// <inheritdoc />
    public void SetPriority(Http3Priority priority) => Inner.SetPriority(priority.Urgency, priority.Incremental);

    /// <inheritdoc />
    public void Abort(ulong code, bool read, bool write)
    {
        var dir = (read ? QuicAbortDirection.Read : 0) | (write ? QuicAbortDirection.Write : 0);
        if (dir != 0) Inner.Abort(dir, (long)code);
    }

    /// <inheritdoc />
    public override bool CanRead => Inner.CanRead;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => Inner.CanWrite;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Flush() => Inner.Flush();

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Inner.Read(buffer, offset, count);

    /// <inheritdoc />
    public override int Read(Span<byte> buffer) => Inner.Read(buffer);

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Inner.ReadAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Inner.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer) => Inner.Write(buffer);

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Inner.WriteAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => Inner.WriteAsync(buffer, cancellationToken);

    /// <summary>Writes <paramref name="buffer"/> and ends the stream with it (FIN) when <paramref name="completeWrites"/>.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, bool completeWrites, CancellationToken cancellationToken = default) =>
        Inner.WriteAsync(buffer, completeWrites, cancellationToken);

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => Inner.DisposeAsync();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) Inner.Dispose();
        base.Dispose(disposing);
    }
}
