using System.Buffers.Binary;
using System.Net;
using Pliant.Net.Internal.Core;
using Pliant.Quic.Connection;

namespace Pliant.Net.Tests.Fake;

/// <summary>One connection of <see cref="FakeEndpoint"/>: in-order streams with a 64 KiB send buffer each.</summary>
internal sealed class FakeConnection : IConnectionCore
{
    private const int SendBufferSize = 64 * 1024;
    private const int MaxChunk = 1200;

    private sealed class Stream
    {
        public readonly ByteQueue Send = new();
        public readonly ByteQueue Receive = new();
        public bool FinQueued, FinSent, ReceivedFin, ReadFin, Reset;
    }

    private readonly FakeEndpoint _endpoint;
    private readonly Dictionary<ulong, Stream> _streams = [];
    private readonly Queue<ConnectionEvent> _events = new();
    private readonly Queue<byte[]> _control = new();
    private ulong _nextBidi, _nextUni;
    private bool _closing;

    public FakeConnection(FakeEndpoint endpoint, ulong id, bool isClient, IPEndPoint remote)
    {
        _endpoint = endpoint;
        Id = id;
        IsClient = isClient;
        RemoteEndPoint = remote;
        _nextBidi = isClient ? 0u : 1u;
        _nextUni = isClient ? 2u : 3u;
    }

    public ulong Id { get; }

    public bool InEventQueue { get; set; }

    public bool HasEvents => _events.Count > 0;

    public bool IsClient { get; }

    public bool IsClosed { get; private set; }

    public IPEndPoint RemoteEndPoint { get; }

    public string? ApplicationProtocol { get; set; }

    public bool TryPollEvent(out ConnectionEvent connectionEvent) => _events.TryDequeue(out connectionEvent);

    public bool TryOpenStream(bool bidirectional, out ulong streamId)
    {
        if (bidirectional) { streamId = _nextBidi; _nextBidi += 4; }
        else { streamId = _nextUni; _nextUni += 4; }
        _streams[streamId] = new Stream();
        return true;
    }

    public int StreamWrite(ulong streamId, ReadOnlySpan<byte> data, bool fin)
    {
        var s = _streams[streamId];
        if (s.FinQueued) throw new InvalidOperationException("fin already queued");
        int n = Math.Min(data.Length, SendBufferSize - s.Send.Count);
        s.Send.Append(data[..n]);
        if (fin && n == data.Length) s.FinQueued = true;
        return n;
    }

    public int StreamRead(ulong streamId, Span<byte> destination, out bool fin)
    {
        var s = _streams[streamId];
        int n = s.Receive.Take(destination);
        fin = s.ReceivedFin && s.Receive.Count == 0 && !s.ReadFin;
        if (fin) s.ReadFin = true;
        return n;
    }

    public void StreamReset(ulong streamId, ulong errorCode) => QueueStreamControl(FakeEndpoint.Reset, streamId, errorCode);

    public void StreamStopSending(ulong streamId, ulong errorCode) => QueueStreamControl(FakeEndpoint.StopSending, streamId, errorCode);

    public bool SendDatagram(ReadOnlySpan<byte> data) => false;

    public void Close(long nowUs, ulong applicationErrorCode, string reason)
    {
        if (_closing) return;
        _closing = true;
        var p = new byte[9];
        p[0] = 1;
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(1), applicationErrorCode);
        QueueControl(FakeEndpoint.CloseFrame, p);
        Emit(new ConnectionEvent(ConnectionEventKind.Closed, ErrorCode: applicationErrorCode, Reason: reason, IsApplicationError: true, IsLocal: true));
    }

    public void CloseWithTransportError(ulong code, string reason)
    {
        _closing = true;
        var p = new byte[9];
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(1), code);
        QueueControl(FakeEndpoint.CloseFrame, p);
    }

    internal void OnConnected() => Emit(new ConnectionEvent(ConnectionEventKind.Connected));

    internal void QueueControl(byte type, byte[] payload)
    {
        var packet = new byte[9 + payload.Length];
        packet[0] = type;
        BinaryPrimitives.WriteUInt64LittleEndian(packet.AsSpan(1), Id);
        payload.CopyTo(packet, 9);
        _control.Enqueue(packet);
    }

    private void QueueStreamControl(byte type, ulong streamId, ulong code)
    {
        var p = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(p, streamId);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8), code);
        QueueControl(type, p);
        if (type == FakeEndpoint.Reset && _streams.TryGetValue(streamId, out var s)) s.Reset = true;
    }

    /// <summary>Writes the next packet; 0 when there is nothing to send.</summary>
    internal int WritePacket(Span<byte> buffer)
    {
        if (IsClosed) return 0;
        if (_control.TryPeek(out var packet))
        {
            if (packet.Length > buffer.Length) return 0;
            _control.Dequeue();
            packet.CopyTo(buffer);
            if (packet[0] == FakeEndpoint.CloseFrame) IsClosed = true; // no draining in the fake
            return packet.Length;
        }
        if (_closing) return 0;
        foreach (var (id, s) in _streams)
        {
            if (s.Reset || (s.Send.Count == 0 && (!s.FinQueued || s.FinSent))) continue;
            if (buffer.Length <= 20) return 0;
            bool wasFull = s.Send.Count >= SendBufferSize;
            buffer[0] = FakeEndpoint.StreamData;
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[1..], Id);
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[9..], id);
            int n = s.Send.Take(buffer.Slice(20, Math.Min(MaxChunk, buffer.Length - 20)));
            bool fin = s.FinQueued && s.Send.Count == 0;
            buffer[17] = fin ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteUInt16LittleEndian(buffer[18..], (ushort)n);
            if (wasFull && n > 0) Emit(new ConnectionEvent(ConnectionEventKind.StreamWritable, id));
            if (fin)
            {
                s.FinSent = true;
                Emit(new ConnectionEvent(ConnectionEventKind.StreamSendComplete, id)); // "acknowledged" at once
            }
            return 20 + n;
        }
        return 0;
    }

    /// <summary>True when <see cref="WritePacket"/> would write something.</summary>
    internal bool HasOutput => !IsClosed && (_control.Count > 0 ||
        (!_closing && _streams.Values.Any(s => !s.Reset && (s.Send.Count > 0 || (s.FinQueued && !s.FinSent)))));

    internal void Handle(byte type, ReadOnlySpan<byte> payload)
    {
        if (IsClosed) return;
        switch (type)
        {
            case FakeEndpoint.HelloAck when IsClient && ApplicationProtocol is null:
                ApplicationProtocol = System.Text.Encoding.UTF8.GetString(payload).TrimEnd((char)0);
                OnConnected();
                break;
            case FakeEndpoint.StreamData:
            {
                ulong id = BinaryPrimitives.ReadUInt64LittleEndian(payload);
                bool fin = payload[8] != 0;
                int n = BinaryPrimitives.ReadUInt16LittleEndian(payload[9..]);
                var s = GetOrOpenRemote(id);
                if (s is null) break;
                s.Receive.Append(payload.Slice(11, n));
                if (fin) s.ReceivedFin = true;
                Emit(new ConnectionEvent(ConnectionEventKind.StreamReadable, id));
                break;
            }
            case FakeEndpoint.Reset:
            case FakeEndpoint.StopSending:
            {
                ulong id = BinaryPrimitives.ReadUInt64LittleEndian(payload);
                ulong code = BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
                if (GetOrOpenRemote(id) is null) break;
                Emit(new ConnectionEvent(type == FakeEndpoint.Reset ? ConnectionEventKind.StreamReset : ConnectionEventKind.StreamStopSending, id, code));
                break;
            }
            case FakeEndpoint.CloseFrame:
                IsClosed = true;
                _closing = true;
                Emit(new ConnectionEvent(ConnectionEventKind.Closed, ErrorCode: BinaryPrimitives.ReadUInt64LittleEndian(payload[1..]),
                    IsApplicationError: payload[0] == 1, Reason: payload[0] == 1 ? null : "peer transport error"));
                break;
        }
    }

    private Stream? GetOrOpenRemote(ulong id)
    {
        if (_streams.TryGetValue(id, out var s)) return s;
        bool remote = ((id & 1) == 1) == IsClient;
        if (!remote) return null;
        s = new Stream();
        _streams[id] = s;
        Emit(new ConnectionEvent(ConnectionEventKind.StreamOpened, id));
        return s;
    }

    private void Emit(ConnectionEvent e)
    {
        _events.Enqueue(e);
        _endpoint.MarkEvents(this);
    }
}
