using System.Diagnostics.CodeAnalysis;
using System.Net;
using Pliant.Quic.Connection;
using CoreConnectionOptions = Pliant.Quic.Connection.QuicConnectionOptions;

namespace Pliant.Net.Internal.Core;

/// <summary><see cref="IEndpointCore"/> over the real sans-IO <see cref="QuicEndpointCore"/>.</summary>
internal sealed class CoreEndpoint(QuicEndpointCore endpoint) : IEndpointCore
{
    private readonly Dictionary<QuicConnectionCore, CoreConnection> _wrappers = new(ReferenceEqualityComparer.Instance);

    public IConnectionCore Connect(long nowUs, CoreConnectionOptions options, IPEndPoint remote) =>
        Wrap(endpoint.Connect(nowUs, options, remote));

    public void HandleDatagram(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn) =>
        endpoint.HandleDatagram(nowUs, datagram, from, ecn);

    public void HandleTimeout(long nowUs) => endpoint.HandleTimeout(nowUs);

    public bool PollTransmit(long nowUs, Span<byte> buffer, int maxSegments, out Transmit transmit) =>
        endpoint.PollTransmit(nowUs, buffer, maxSegments, out transmit);

    public long? PollTimeout() => endpoint.PollTimeout();

    public bool TryAccept([NotNullWhen(true)] out IConnectionCore? connection)
    {
        connection = endpoint.TryAccept(out var core) ? Wrap(core) : null;
        return connection is not null;
    }

    public bool TryPollConnectionWithEvents([NotNullWhen(true)] out IConnectionCore? connection)
    {
        connection = endpoint.TryPollConnectionWithEvents(out var core) ? Wrap(core) : null;
        return connection is not null;
    }

    public EndpointStatistics Statistics => endpoint.Statistics;

    public void Fault(IConnectionCore connection, long nowUs, Exception error)
    {
        if (connection is CoreConnection c) endpoint.Fault(c.Core, nowUs, error);
        else connection.Close(nowUs, 0, "internal error");
    }

    public void Forget(IConnectionCore connection)
    {
        if (connection is CoreConnection c) _wrappers.Remove(c.Core);
    }

    private CoreConnection Wrap(QuicConnectionCore core)
    {
        if (!_wrappers.TryGetValue(core, out var wrapper))
        {
            wrapper = new CoreConnection(core);
            _wrappers[core] = wrapper;
        }
        return wrapper;
    }
}

/// <summary><see cref="IConnectionCore"/> over the real <see cref="QuicConnectionCore"/>.</summary>
internal sealed class CoreConnection(QuicConnectionCore core) : IConnectionCore
{
    public QuicConnectionCore Core => core;

    public bool TryPollEvent(out ConnectionEvent connectionEvent) => core.TryPollEvent(out connectionEvent);

    public bool TryOpenStream(bool bidirectional, out ulong streamId) => core.TryOpenStream(bidirectional, out streamId);

    public int StreamWrite(ulong streamId, ReadOnlySpan<byte> data, bool fin) => core.StreamWrite(streamId, data, fin);

    public int StreamRead(ulong streamId, Span<byte> destination, out bool fin) => core.StreamRead(streamId, destination, out fin);

    public void StreamSetReadTarget(ulong streamId, Memory<byte> target) => core.StreamSetReadTarget(streamId, target);

    public int StreamTakeDirect(ulong streamId, out bool fin) => core.StreamTakeDirect(streamId, out fin);

    public void StreamReset(ulong streamId, ulong errorCode) => core.StreamReset(streamId, errorCode);

    public bool StreamReceivedEarlyData(ulong streamId) => core.StreamReceivedEarlyData(streamId);

    public void StreamStopSending(ulong streamId, ulong errorCode) => core.StreamStopSending(streamId, errorCode);

    public void StreamSetPriority(ulong streamId, Pliant.Quic.Streams.StreamPriority priority) => core.StreamSetPriority(streamId, priority);

    public bool SendDatagram(ReadOnlySpan<byte> data) => core.SendDatagram(data);

    public void Close(long nowUs, ulong applicationErrorCode, string reason) => core.Close(nowUs, applicationErrorCode, reason);

    public bool IsClient => core.IsClient;

    public bool IsClosed => core.IsClosed;

    public bool StreamSendsAcknowledged => core.StreamSendsAcknowledged;

    public IPEndPoint RemoteEndPoint => core.RemoteEndPoint;

    public string? ApplicationProtocol => core.ApplicationProtocol;

    public bool CanSendEarlyData => core.CanSendEarlyData;

    public QuicConnectionCore? Real => core;
}
