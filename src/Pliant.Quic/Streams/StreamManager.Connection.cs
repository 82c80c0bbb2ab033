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

    /// <summary>True once the connection closed.</summary>
    public bool ConnectionClosed { get; private set; }
}
