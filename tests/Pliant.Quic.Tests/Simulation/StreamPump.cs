using Pliant.Quic.Connection;

namespace Pliant.Quic.Tests.Simulation;

/// <summary>Moves application data through a simulated connection: writes a payload, reads it back.</summary>
public sealed class StreamPump
{
    private readonly QuicConnectionCore _writer;
    private readonly ulong _streamId;
    private readonly byte[] _payload;
    private int _written;
    private bool _finSent;

    public StreamPump(QuicConnectionCore writer, ulong streamId, byte[] payload)
    {
        _writer = writer;
        _streamId = streamId;
        _payload = payload;
    }

    public bool Done => _finSent;

    /// <summary>Offers as much of the payload as the stream takes.</summary>
    public void Step()
    {
        if (_finSent || _writer.IsClosed) return;
        int n = _writer.StreamWrite(_streamId, _payload.AsSpan(_written), fin: true);
        _written += n;
        if (_written == _payload.Length) _finSent = true;
    }
}

/// <summary>Collects everything readable on the streams of a connection.</summary>
public sealed class StreamCollector
{
    private readonly QuicConnectionCore _reader;
    private readonly byte[] _chunk = new byte[65536];

    public StreamCollector(QuicConnectionCore reader) => _reader = reader;

    public Dictionary<ulong, MemoryStream> Data { get; } = [];
    public HashSet<ulong> Finished { get; } = [];
    public List<ConnectionEvent> Events { get; } = [];

    public void Step()
    {
        while (_reader.TryPollEvent(out var e))
        {
            Events.Add(e);
            if (e.Kind is ConnectionEventKind.StreamReadable or ConnectionEventKind.StreamOpened)
                Drain(e.StreamId);
        }
        foreach (var id in Data.Keys.ToList()) Drain(id);
    }

    private void Drain(ulong id)
    {
        if (Finished.Contains(id)) return;
        if (!Data.TryGetValue(id, out var ms)) Data[id] = ms = new MemoryStream();
        while (true)
        {
            int n;
            bool fin;
            try { n = _reader.StreamRead(id, _chunk, out fin); }
            catch (InvalidOperationException) { return; }
            ms.Write(_chunk, 0, n);
            if (fin) { Finished.Add(id); return; }
            if (n == 0) return;
        }
    }
}
