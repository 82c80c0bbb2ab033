using System.Diagnostics.CodeAnalysis;
using System.Net;
using Pliant.Quic.Connection;
using CoreConnectionOptions = Pliant.Quic.Connection.QuicConnectionOptions;

namespace Pliant.Net.Internal.Core;

/// <summary>
/// The driver's view of <see cref="QuicEndpointCore"/> (same members). A seam so the driver and the
/// API can be tested with a stand-in core; production uses <see cref="CoreEndpoint"/>.
/// </summary>
internal interface IEndpointCore
{
    IConnectionCore Connect(long nowUs, CoreConnectionOptions options, IPEndPoint remote);

    void HandleDatagram(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn);

    void HandleTimeout(long nowUs);

    bool PollTransmit(long nowUs, Span<byte> buffer, int maxSegments, out Transmit transmit);

    long? PollTimeout();

    bool TryAccept([NotNullWhen(true)] out IConnectionCore? connection);

    bool TryPollConnectionWithEvents([NotNullWhen(true)] out IConnectionCore? connection);

    /// <summary>The endpoint's counters (admission, stateless answers, faults); null for a stand-in core.</summary>
    EndpointStatistics? Statistics => null;

    /// <summary>The driver no longer tracks <paramref name="connection"/> (it is fully closed).</summary>
    void Forget(IConnectionCore connection);

    /// <summary>
    /// Code acting on <paramref name="connection"/> (the application's callbacks) failed unexpectedly:
    /// close that connection (INTERNAL_ERROR); the endpoint and its other connections go on.
    /// </summary>
    void Fault(IConnectionCore connection, long nowUs, Exception error) =>
        connection.Close(nowUs, 0, "internal error: " + error.GetType().Name);
}

/// <summary>The driver's view of <see cref="QuicConnectionCore"/> (same members).</summary>
internal interface IConnectionCore
{
    bool TryPollEvent(out ConnectionEvent connectionEvent);

    bool TryOpenStream(bool bidirectional, out ulong streamId);

    int StreamWrite(ulong streamId, ReadOnlySpan<byte> data, bool fin);

    int StreamRead(ulong streamId, Span<byte> destination, out bool fin);

    /// <summary>A waiting reader's buffer for direct delivery (a core without it ignores the call).</summary>
    void StreamSetReadTarget(ulong streamId, Memory<byte> target) { }

    /// <summary>Bytes delivered into the reader's buffer since <see cref="StreamSetReadTarget"/>.</summary>
    int StreamTakeDirect(ulong streamId, out bool fin)
    {
        fin = false;
        return 0;
    }

    void StreamReset(ulong streamId, ulong errorCode);

    /// <summary>True when some of the stream's data arrived in 0-RTT packets (a stand-in core has none).</summary>
    bool StreamReceivedEarlyData(ulong streamId) => false;

    void StreamStopSending(ulong streamId, ulong errorCode);

    /// <summary>Sets a stream's sending priority (RFC 9218); a stand-in core without a stream scheduler ignores it.</summary>
    void StreamSetPriority(ulong streamId, Pliant.Quic.Streams.StreamPriority priority)
    {
    }

    bool SendDatagram(ReadOnlySpan<byte> data);

    void Close(long nowUs, ulong applicationErrorCode, string reason);

    bool IsClient { get; }

    bool IsClosed { get; }

    /// <summary>Everything written on every stream (and each requested end) acknowledged (a stand-in core: always).</summary>
    bool StreamSendsAcknowledged => true;

    IPEndPoint RemoteEndPoint { get; }

    string? ApplicationProtocol { get; }

    /// <summary>True while a resuming client may send 0-RTT data.</summary>
    bool CanSendEarlyData => false;

    /// <summary>The real sans-IO connection, or null for a stand-in core (tests).</summary>
    QuicConnectionCore? Real => null;
}
