using System.Net;
using System.Net.Sockets;

namespace Pliant.Interop.Tests.Relay;

/// <summary>A UDP socket on 127.0.0.1 for the relay tests: sends numbered datagrams and collects what arrives (with its source).</summary>
internal sealed class UdpPeer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public UdpPeer()
    {
        _socket.ReceiveBufferSize = 4 << 20;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Everything received so far, in arrival order.</summary>
    public List<(byte[] Data, IPEndPoint From)> Received { get; } = [];

    public void Send(byte[] datagram, IPEndPoint to) => _socket.SendTo(datagram, to);

    /// <summary>A datagram of <paramref name="size"/> bytes whose first 4 bytes are <paramref name="index"/> and the rest seeded filler.</summary>
    public static byte[] Numbered(int index, int size)
    {
        var d = new byte[size];
        new Random(index).NextBytes(d);
        BitConverter.TryWriteBytes(d, index);
        return d;
    }

    /// <summary>Receives until <paramref name="count"/> datagrams have arrived in all or <paramref name="timeout"/> passed (a guard against hangs, not a measurement); returns whether they did.</summary>
    public bool ReceiveUntil(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var buffer = new byte[65536];
        while (Received.Count < count && DateTime.UtcNow < deadline)
        {
            if (!_socket.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead)) continue;
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = _socket.ReceiveFrom(buffer, ref from);
            Received.Add((buffer.AsSpan(0, n).ToArray(), (IPEndPoint)from));
        }
        return Received.Count >= count;
    }

    /// <summary>Takes whatever arrives within <paramref name="quiet"/> of silence (to check that nothing more comes).</summary>
    public void Drain(TimeSpan quiet) => ReceiveUntil(int.MaxValue, quiet);

    public void Dispose() => _socket.Dispose();
}
