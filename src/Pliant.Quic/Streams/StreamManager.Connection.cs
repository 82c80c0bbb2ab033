namespace Pliant.Quic.Streams;

// Hooks the connection uses: event presence and end of life.
public sealed partial class StreamManager
{
    /// <summary>True when <see cref="TryPollEvent"/> has something.</summary>
    public bool HasEvents => _events.Count > 0;

    /// <summary>The connection closed: frees buffers; later application calls fail or read nothing.</summary>
    public void OnConnectionClosed()
    {
        ConnectionClosed = true;
    }

    /// <summary>
    /// The connection is closed for good: every stream's pooled buffers go back to the pool. The streams stay
    /// known (the API may still ask about them); their data is gone, which nobody can read or send any more.
    /// </summary>
    public void ReleaseBuffers()
    {
        foreach (var s in _streams.Values)
        {
            s.Send?.Dispose();
            s.Recv?.Dispose();
        }
    }

    /// <summary>Pool chunks the streams' buffers hold now (diagnostics and tests).</summary>
    internal int ChunksHeld
    {
        get
        {
            int n = 0;
            foreach (var s in _streams.Values) n += (s.Send?.ChunksHeld ?? 0) + (s.Recv?.ChunksHeld ?? 0);
            return n;
        }
    }

    /// <summary>True once the connection closed.</summary>
    public bool ConnectionClosed { get; private set; }
}
