using System.Net;

namespace Pliant.Quic.Connection;

/// <summary>
/// One QUIC connection as a sans-IO state machine (DESIGN §2). It never touches a socket, clock or
/// thread; time is passed in as microseconds on a monotonic clock. Members, by kind:
/// <list type="bullet">
/// <item><b>Handle</b>: <see cref="HandleDatagram"/>, <see cref="HandleTimeout"/> — feed it input.</item>
/// <item><b>Poll</b>: <see cref="PollTransmit"/>, <see cref="PollTimeout"/>, <see cref="TryPollEvent"/> — take output.</item>
/// <item><b>Mutators</b>: streams, datagrams, <see cref="Close"/> — the application's intent.</item>
/// <item><b>Getters</b>: state and statistics.</item>
/// </list>
/// Not thread-safe: the driver serialises every call.
/// </summary>
public sealed partial class QuicConnectionCore
{
    // ---- Handle ----

    /// <summary>Feeds one received UDP datagram (possibly several coalesced QUIC packets).</summary>
    public void HandleDatagram(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn) =>
        throw new NotImplementedException();

    /// <summary>Runs timers due at <paramref name="nowUs"/> (loss detection, PTO, ACK delay, idle, pacing).</summary>
    public void HandleTimeout(long nowUs) => throw new NotImplementedException();

    // ---- Poll ----

    /// <summary>
    /// Writes the next datagram(s) to send into <paramref name="buffer"/>. With
    /// <paramref name="maxSegments"/> &gt; 1 it may fill several equal-sized datagrams for GSO.
    /// Returns false when nothing is to be sent now (check <see cref="PollTimeout"/>).
    /// </summary>
    public bool PollTransmit(long nowUs, Span<byte> buffer, int maxSegments, out Transmit transmit) =>
        throw new NotImplementedException();

    /// <summary>The next time <see cref="HandleTimeout"/> must be called, or null.</summary>
    public long? PollTimeout() => throw new NotImplementedException();

    /// <summary>Takes the next event for the application.</summary>
    public bool TryPollEvent(out ConnectionEvent connectionEvent) => throw new NotImplementedException();

    // ---- Mutators ----

    /// <summary>Opens a stream; false when the peer's stream limit is reached (wait for StreamsAvailable).</summary>
    public bool TryOpenStream(bool bidirectional, out ulong streamId) => throw new NotImplementedException();

    /// <summary>
    /// Queues data on a stream; returns how many bytes were taken (fewer than offered when the
    /// stream's send buffer is full — wait for StreamWritable). <paramref name="fin"/> ends the stream
    /// once every offered byte was taken.
    /// </summary>
    public int StreamWrite(ulong streamId, ReadOnlySpan<byte> data, bool fin) => throw new NotImplementedException();

    /// <summary>Reads received data in order; <paramref name="fin"/> is true once the stream's end was read.</summary>
    public int StreamRead(ulong streamId, Span<byte> destination, out bool fin) => throw new NotImplementedException();

    /// <summary>Abruptly ends the sending side (RESET_STREAM, RFC 9000 §19.4).</summary>
    public void StreamReset(ulong streamId, ulong errorCode) => throw new NotImplementedException();

    /// <summary>Asks the peer to stop sending (STOP_SENDING, RFC 9000 §19.5).</summary>
    public void StreamStopSending(ulong streamId, ulong errorCode) => throw new NotImplementedException();

    /// <summary>Sends an unreliable datagram (RFC 9221); false if too large or not negotiated.</summary>
    public bool SendDatagram(ReadOnlySpan<byte> data) => throw new NotImplementedException();

    /// <summary>Closes the connection with an application error code (CONNECTION_CLOSE type 0x1d).</summary>
    public void Close(long nowUs, ulong applicationErrorCode, string reason) => throw new NotImplementedException();

    // ---- Getters ----

    /// <summary>True on the client side.</summary>
    public bool IsClient { get; }

    /// <summary>True once the handshake completed.</summary>
    public bool IsConnected { get; private set; }

    /// <summary>True once the connection is fully closed (draining over); the driver may drop it.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>The peer's current address.</summary>
    public IPEndPoint RemoteEndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>The negotiated ALPN protocol, once known.</summary>
    public string? ApplicationProtocol { get; private set; }

    /// <summary>The QUIC version in use.</summary>
    public uint Version { get; private set; }
}
