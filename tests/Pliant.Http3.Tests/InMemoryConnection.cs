using System.IO.Pipelines;
using System.Threading.Channels;

namespace Pliant.Http3.Tests;

/// <summary>One direction of a stream: a pipe. Completing the writer is FIN; completing with an exception is a reset.</summary>
internal sealed class InMemoryStream : Stream, IH3StreamControl
{
    private readonly PipeReader? _in;
    private readonly PipeWriter? _out;
    private bool _writesDone;

    public InMemoryStream(ulong id, PipeReader? input, PipeWriter? output)
    {
        StreamId = id;
        _in = input;
        _out = output;
    }

    public ulong StreamId { get; }

    /// <summary>Set on the server's end of a stream the client opened before the (simulated) handshake completed.</summary>
    public bool ReceivedEarlyData { get; set; }

    /// <summary>True once the receiving side's application took it from <c>AcceptStreamAsync</c>.</summary>
    public bool Accepted { get; set; }

    /// <summary>True once disposed (a real transport keeps a stream's state until then).</summary>
    public bool IsDisposed { get; private set; }

    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        base.Dispose(disposing);
    }

    public ulong? AbortReadCode { get; private set; }
    public ulong? AbortWriteCode { get; private set; }

    private readonly List<Http3Priority> _priorities = [];

    /// <summary>The priorities the HTTP/3 layer passed to this stream's transport (<see cref="IH3StreamControl.SetPriority"/>), in order.</summary>
    public IReadOnlyList<Http3Priority> Priorities
    {
        get { lock (_priorities) return [.. _priorities]; }
    }

    public void SetPriority(Http3Priority priority)
    {
        lock (_priorities) _priorities.Add(priority);
    }
    public bool WritesCompleted { get; private set; }

    public override bool CanRead => _in != null;
    public override bool CanWrite => _out != null;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void CompleteWrites()
    {
        if (_out is null || _writesDone) return;
        _writesDone = true;
        WritesCompleted = true;
        _out.Complete();
    }

    public void Abort(ulong code, bool read, bool write)
    {
        if (read && _in != null && AbortReadCode is null)
        {
            AbortReadCode = code;
            _in.Complete();
        }
        if (write && _out != null && !_writesDone)
        {
            AbortWriteCode = code;
            _writesDone = true;
            _out.Complete(new IOException($"stream reset with 0x{code:x}"));
        }
    }

    private volatile Exception? _killed;

    /// <summary>Connection closed: pending and later reads/writes throw.</summary>
    public void Kill(Exception ex)
    {
        _killed = ex;
        try { _in?.CancelPendingRead(); } catch (InvalidOperationException) { }
        try { _out?.CancelPendingFlush(); } catch (InvalidOperationException) { }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_in is null) throw new NotSupportedException();
        if (AbortReadCode != null) throw new IOException("reading aborted");
        if (_killed is { } k) throw new IOException(k.Message);
        var r = await _in.ReadAsync(ct);
        if (r.IsCanceled || _killed != null)
        {
            _in.AdvanceTo(r.Buffer.Start);
            throw new IOException(_killed?.Message ?? "cancelled");
        }
        var buf = r.Buffer;
        if (buf.IsEmpty && r.IsCompleted)
        {
            _in.AdvanceTo(buf.Start);
            return 0;
        }
        int n = (int)Math.Min(buf.Length, buffer.Length);
        var slice = buf.Slice(0, n);
        int o = 0;
        foreach (var seg in slice)
        {
            seg.Span.CopyTo(buffer.Span[o..]);
            o += seg.Length;
        }
        _in.AdvanceTo(slice.End);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        if (_out is null) throw new NotSupportedException();
        if (_writesDone) throw new IOException("writes completed");
        if (_killed is { } k) throw new IOException(k.Message);
        var r = await _out.WriteAsync(buffer, ct);
        if (r.IsCanceled || _killed != null) throw new IOException(_killed?.Message ?? "cancelled");
        if (r.IsCompleted) throw new IOException("peer stopped reading");
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>An in-memory QUIC connection endpoint; <see cref="CreatePair"/> links a client and a server.</summary>
internal sealed class InMemoryConnection : IH3Connection
{
    private readonly Channel<(Stream, bool, ulong)> _incoming = Channel.CreateUnbounded<(Stream, bool, ulong)>();
    private readonly bool _isClient;
    private readonly List<InMemoryStream> _streams;
    private readonly object _lock;
    private InMemoryConnection _peer = null!;
    private ulong _nextBidi, _nextUni;
    private readonly TaskCompletionSource _handshake;

    private InMemoryConnection(bool isClient, List<InMemoryStream> streams, object gate, TaskCompletionSource handshake)
    {
        _isClient = isClient;
        _streams = streams;
        _lock = gate;
        _handshake = handshake;
    }

    private readonly List<InMemoryStream> _received = [];

    /// <summary>This side's ends of the streams the peer opened, in order.</summary>
    public IReadOnlyList<InMemoryStream> Received
    {
        get { lock (_lock) return [.. _received]; }
    }

    /// <summary>Completes when <see cref="CompleteHandshake"/> is called (at once unless the pair started in 0-RTT).</summary>
    public Task HandshakeCompleted => _handshake.Task;

    /// <summary>Ends the simulated 0-RTT phase: later client streams are not early data.</summary>
    public void CompleteHandshake() => _handshake.TrySetResult();

    /// <summary>The code passed to <see cref="Abort"/> by this side, if any.</summary>
    public ulong? AbortCode { get; private set; }

    /// <summary>Completes when either side aborts.</summary>
    public TaskCompletionSource<ulong> Aborted { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="earlyData">Start before the handshake completes: client streams arrive as 0-RTT until <see cref="CompleteHandshake"/>.</param>
    public static (InMemoryConnection Client, InMemoryConnection Server) CreatePair(bool earlyData = false)
    {
        var streams = new List<InMemoryStream>();
        var gate = new object();
        var handshake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!earlyData) handshake.SetResult();
        var c = new InMemoryConnection(true, streams, gate, handshake);
        var s = new InMemoryConnection(false, streams, gate, handshake);
        c._peer = s;
        s._peer = c;
        s.Aborted = c.Aborted;
        return (c, s);
    }

    public ValueTask<Stream> OpenStreamAsync(bool bidirectional, CancellationToken ct)
    {
        lock (_lock)
        {
            if (Aborted.Task.IsCompleted) throw new IOException("connection closed");
            // RFC 9000 §2.1: low bits = initiator (0 client) and direction (2 = uni).
            ulong id = bidirectional ? (_nextBidi++ * 4) | (_isClient ? 0UL : 1UL) : (_nextUni++ * 4) | (_isClient ? 2UL : 3UL);
            var opts = new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);
            var toPeer = new Pipe(opts);
            InMemoryStream local, remote;
            if (bidirectional)
            {
                var fromPeer = new Pipe(opts);
                local = new InMemoryStream(id, fromPeer.Reader, toPeer.Writer);
                remote = new InMemoryStream(id, toPeer.Reader, fromPeer.Writer);
            }
            else
            {
                local = new InMemoryStream(id, null, toPeer.Writer);
                remote = new InMemoryStream(id, toPeer.Reader, null);
            }
            remote.ReceivedEarlyData = _isClient && !_handshake.Task.IsCompleted;
            _streams.Add(local);
            _streams.Add(remote);
            _peer._received.Add(remote);
            _peer._incoming.Writer.TryWrite((remote, bidirectional, id));
            return ValueTask.FromResult<Stream>(local);
        }
    }

    public async ValueTask<(Stream stream, bool bidirectional, ulong streamId)?> AcceptStreamAsync(CancellationToken ct)
    {
        try
        {
            var next = await _incoming.Reader.ReadAsync(ct);
            ((InMemoryStream)next.Item1).Accepted = true;
            return next;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public void Abort(ulong errorCode)
    {
        InMemoryStream[] all;
        lock (_lock)
        {
            if (Aborted.Task.IsCompleted) return;
            AbortCode = errorCode;
            Aborted.TrySetResult(errorCode);
            all = [.. _streams];
        }
        _incoming.Writer.TryComplete();
        _peer._incoming.Writer.TryComplete();
        var ex = new IOException($"connection closed with 0x{errorCode:x}");
        foreach (var s in all) s.Kill(ex);
    }
}
