namespace Pliant.Quic.Operations;

/// <summary>
/// Everything code outside the core — the plugin host — reaches on one connection: its operation table,
/// the fields plugins read and write, frame types defined outside the core, timers, events, datagrams,
/// the peer's extra transport parameters and closing. The one interface between plugin host and
/// connection; <see cref="Connection.QuicConnectionCore"/> implements it, tests implement it without a connection.
/// Not thread-safe: called on the thread that drives the connection.
/// </summary>
public interface IConnectionEnvironment
{
    /// <summary>The connection's protocol operations.</summary>
    OperationTable Operations { get; }

    /// <summary>The connection's time, µs.</summary>
    long NowUs { get; }

    /// <summary>
    /// The plugin changed what the connection may send (a frame reserved, state set from an application call):
    /// the endpoint must look at the connection again. Attaching and detaching handlers does this already.
    /// </summary>
    void NoteActivity()
    {
    }

    /// <summary>Reads a field (<see cref="ConnectionField"/>); unknown ids read 0.</summary>
    ulong GetField(ConnectionField field);

    /// <summary>
    /// Reads a field of one path (multipath): RTT, window, bytes in flight, datagram size, path state and status,
    /// PTO count; other fields read as <see cref="GetField"/>. A path id that is not open reads 0.
    /// </summary>
    ulong GetPathField(ulong pathId, ConnectionField field) => pathId == 0 ? GetField(field) : 0;

    /// <summary>Reads a field of stream <paramref name="streamId"/> (<see cref="StreamField"/>); a stream that is not open reads <see cref="ulong.MaxValue"/>.</summary>
    ulong GetStreamField(ulong streamId, StreamField field) => ulong.MaxValue;

    /// <summary>
    /// During a <c>stream.next_to_send</c> call, the id of the <paramref name="index"/>-th stream that may send now (native
    /// order: most urgent first); 2^62 past the end or outside such a call.
    /// </summary>
    ulong StreamCandidate(int index) => 1UL << 62;

    /// <summary>Writes a read-write field; false for read-only fields, unknown ids or values out of range.</summary>
    bool TrySetField(ConnectionField field, ulong value);

    /// <summary>Adds a frame type handled outside the core (1-RTT packets only).</summary>
    /// <exception cref="ArgumentException">The core implements the type.</exception>
    /// <exception cref="InvalidOperationException">The type is already registered.</exception>
    void RegisterFrameExtension(IFrameExtension extension);

    /// <summary>Removes a frame extension; false if none was registered for <paramref name="frameType"/>.</summary>
    bool UnregisterFrameExtension(ulong frameType);

    /// <summary>Calls <paramref name="callback"/> (time, timer id) once <paramref name="atUs"/> is reached; returns the id.</summary>
    long ScheduleTimer(long atUs, Action<long, long> callback);

    /// <summary>Cancels a timer; false if it already fired or was cancelled.</summary>
    bool CancelTimer(long id);

    /// <summary>Tells the application something about a plugin (attached, detached, refused, its own events).</summary>
    void RaisePluginEvent(string pluginId, string message);

    /// <summary>Queues an unreliable datagram (RFC 9221); false if it cannot be sent.</summary>
    bool SendDatagram(ReadOnlySpan<byte> data);

    /// <summary>Closes the connection with an application error (CONNECTION_CLOSE 0x1d).</summary>
    void CloseWithApplicationError(ulong errorCode, string reason);

    /// <summary>True once the peer's transport parameters are known (handshake complete).</summary>
    bool PeerParametersKnown { get; }

    /// <summary>Transport parameters the peer sent that the core does not know.</summary>
    IReadOnlyList<(ulong Id, byte[] Value)> PeerExtraTransportParameters { get; }
}
