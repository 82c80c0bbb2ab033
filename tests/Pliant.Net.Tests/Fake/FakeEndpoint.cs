using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text;
using Pliant.Net.Internal.Core;
using Pliant.Quic.Connection;
using CoreConnectionOptions = Pliant.Quic.Connection.QuicConnectionOptions;

namespace Pliant.Net.Tests.Fake;

/// <summary>
/// A stand-in for the QUIC core that speaks a toy protocol over real UDP (no TLS, no loss
/// recovery: loopback only), so the driver and the public API can be tested before the real core
/// exists. Packet: [type][connection id:8][payload].
/// </summary>
internal sealed class FakeEndpoint : IEndpointCore
{
    internal const byte Hello = 1, HelloAck = 2, StreamData = 3, CloseFrame = 4, Reset = 5, StopSending = 6;

    private readonly QuicEndpointOptions _options;
    private readonly Dictionary<ulong, FakeConnection> _connections = [];
    private readonly Queue<FakeConnection> _accepted = new();
    private readonly Queue<FakeConnection> _withEvents = new();
    private readonly List<FakeConnection> _order = [];
    private int _next;

    public FakeEndpoint(QuicEndpointOptions options) => _options = options;

    public static IEndpointCore Create(QuicEndpointOptions options) => new FakeEndpoint(options);

    public IConnectionCore Connect(long nowUs, CoreConnectionOptions options, IPEndPoint remote)
    {
        var c = new FakeConnection(this, (ulong)Random.Shared.NextInt64(), isClient: true, remote);
        Add(c);
        c.QueueControl(Hello, Encoding.UTF8.GetBytes(string.Join(',', options.Client!.ApplicationProtocols)));
        return c;
    }

    public void HandleDatagram(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn)
    {
        if (datagram.Length < 9) return;
        byte type = datagram[0];
        ulong cid = BinaryPrimitives.ReadUInt64LittleEndian(datagram[1..]);
        var payload = datagram[9..];
        if (_connections.TryGetValue(cid, out var c))
        {
            c.Handle(type, payload);
            return;
        }
        if (type != Hello || _options.Server is null) return;

        c = new FakeConnection(this, cid, isClient: false, from);
        Add(c);
        var offered = Encoding.UTF8.GetString(payload).Split(',');
        var alpn = _options.Server.Server!.ApplicationProtocols.FirstOrDefault(offered.Contains);
        if (alpn is null)
        {
            c.CloseWithTransportError(0x178, "no application protocol");
            return;
        }
        _accepted.Enqueue(c);
        c.ApplicationProtocol = alpn;
        c.QueueControl(HelloAck, Encoding.UTF8.GetBytes(alpn));
        c.OnConnected();
    }

    public void HandleTimeout(long nowUs)
    {
    }

    public bool PollTransmit(long nowUs, Span<byte> buffer, int maxSegments, out Transmit transmit)
    {
        for (int i = 0; i < _order.Count; i++)
        {
            var c = _order[(_next + i) % _order.Count];
            int n = c.WritePacket(buffer[..Math.Min(buffer.Length, 1400)]);
            if (n > 0)
            {
                // GSO: more packets of the same connection, each exactly the first one's size
                // (the toy protocol has explicit lengths, so padding is harmless); a shorter one ends the batch.
                int segment = n, total = n;
                for (int k = 1; k < maxSegments && total + segment <= buffer.Length; k++)
                {
                    var slot = buffer.Slice(total, segment);
                    int m = c.WritePacket(slot);
                    if (m == 0) break;
                    if (m < segment && k < maxSegments - 1 && c.HasOutput)
                    {
                        slot[m..].Clear(); // pad to keep segments equal
                        m = segment;
                    }
                    total += m;
                    if (m < segment) break;
                }
                _next = (_next + i + 1) % _order.Count;
                transmit = new Transmit(c.RemoteEndPoint, total, segment, EcnCodepoint.Ect0);
                return true;
            }
        }
        transmit = default;
        return false;
    }

    public long? PollTimeout() => null;

    public bool TryAccept([NotNullWhen(true)] out IConnectionCore? connection)
    {
        connection = _accepted.TryDequeue(out var c) ? c : null;
        return connection is not null;
    }

    public bool TryPollConnectionWithEvents([NotNullWhen(true)] out IConnectionCore? connection)
    {
        while (_withEvents.TryDequeue(out var c))
        {
            c.InEventQueue = false;
            if (c.HasEvents)
            {
                connection = c;
                return true;
            }
        }
        connection = null;
        return false;
    }

    public void Forget(IConnectionCore connection)
    {
        var c = (FakeConnection)connection;
        _connections.Remove(c.Id);
        _order.Remove(c);
    }

    internal void MarkEvents(FakeConnection c)
    {
        if (c.InEventQueue) return;
        c.InEventQueue = true;
        _withEvents.Enqueue(c);
    }

    private void Add(FakeConnection c)
    {
        _connections[c.Id] = c;
        _order.Add(c);
    }
}
