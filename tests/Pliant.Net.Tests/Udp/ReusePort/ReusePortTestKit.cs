using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Pliant.Net.Udp;
using Pliant.Net.Udp.Linux;

namespace Pliant.Net.Tests.Udp.ReusePort;

/// <summary>
/// What the reuseport tests share: the connection ID layout of <c>pliant serve --reuseport</c> without --lb-config
/// (12-byte plaintext QUIC-LB IDs, first octet 0x0b, host prefix 00, then generation and driver), datagram
/// builders, and "drivers" that read each socket and remember what reached it.
/// </summary>
internal static class ReusePortTestKit
{
    public static readonly SteeringLayout Layout = new(12, 0xFF, 0x0b, [0x00], 2);

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static int Member(int generation, int driver) => generation << 8 | driver;

    /// <summary>A connection ID of the layout naming (generation, driver), with <paramref name="nonce"/> in its last 8 bytes.</summary>
    public static byte[] Cid(int generation, int driver, ulong nonce = 0x1122334455667788)
    {
        var cid = new byte[12];
        cid[0] = 0x0b;
        cid[1] = 0x00;
        cid[2] = (byte)generation;
        cid[3] = (byte)driver;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(cid.AsSpan(4), nonce);
        return cid;
    }

    /// <summary>A short-header datagram to <paramref name="dcid"/> tagged with <paramref name="tag"/> (bytes after the DCID).</summary>
    public static byte[] Short(byte[] dcid, int tag) => [0x41, .. dcid, .. BitConverter.GetBytes(tag), .. new byte[20]];

    /// <summary>A long-header datagram (v1, <paramref name="type"/> 0 = Initial, 2 = Handshake) to <paramref name="dcid"/>.</summary>
    public static byte[] Long(byte[] dcid, int tag, int type = 2, int padTo = 0)
    {
        byte[] d = [(byte)(0xC0 | type << 4 | 1), 0, 0, 0, 1, (byte)dcid.Length, .. dcid, 8, 1, 2, 3, 4, 5, 6, 7, 8, .. BitConverter.GetBytes(tag)];
        return padTo > d.Length ? [.. d, .. new byte[padTo - d.Length]] : d;
    }

    /// <summary>Binds <paramref name="count"/> sockets of one reuseport group on loopback (port 0: a free one).</summary>
    public static List<LinuxUdpSocket> BindGroup(int count, int port = 0)
    {
        var sockets = new List<LinuxUdpSocket> { LinuxUdpSocket.Bind(new IPEndPoint(IPAddress.Loopback, port), false, false, reusePort: true) };
        var at = new IPEndPoint(IPAddress.Loopback, sockets[0].LocalEndPoint.Port);
        for (int i = 1; i < count; i++) sockets.Add(LinuxUdpSocket.Bind(at, false, false, reusePort: true));
        return sockets;
    }

    /// <summary>A port that was free a moment ago (the reuseport group needs a fixed one).</summary>
    public static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}

/// <summary>One reading thread per socket (as the endpoint drivers do): records every datagram that reaches it.</summary>
internal sealed class FakeDrivers : IDisposable
{
    private readonly IUdpTransport[] _sockets;
    private readonly Thread[] _threads;
    private readonly ConcurrentQueue<byte[]>[] _received;
    private readonly bool[] _stopOne;
    private volatile bool _stop;

    public FakeDrivers(IEnumerable<IUdpTransport> sockets)
    {
        _sockets = [.. sockets];
        _received = [.. _sockets.Select(_ => new ConcurrentQueue<byte[]>())];
        _threads = new Thread[_sockets.Length];
        _stopOne = new bool[_sockets.Length];
        for (int i = 0; i < _sockets.Length; i++)
        {
            int index = i;
            _threads[i] = new Thread(() => Run(index)) { IsBackground = true, Name = "fake driver " + i };
            _threads[i].Start();
        }
    }

    private void Run(int index)
    {
        var socket = _sockets[index];
        var batch = socket.CreateReceiveBatch();
        while (!_stop && !Volatile.Read(ref _stopOne[index]))
        {
            int n;
            try
            {
                n = socket.ReceiveBatch(batch, 50);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            for (int i = 0; i < n; i++) _received[index].Enqueue(batch.GetData(i).ToArray());
        }
    }

    /// <summary>Which socket (index into the list given) the datagram sent by <paramref name="send"/> reached; -1 if none within the timeout.</summary>
    public int WhoGets(byte[] datagram, Action<byte[]> send, TimeSpan? wait = null)
    {
        send(datagram);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < (wait ?? ReusePortTestKit.Timeout))
        {
            for (int i = 0; i < _received.Length; i++)
                foreach (var d in _received[i])
                    if (d.AsSpan().SequenceEqual(datagram)) return i;
            Thread.Sleep(2);
        }
        return -1;
    }

    /// <summary>Datagrams socket <paramref name="index"/> passed up.</summary>
    public int Count(int index) => _received[index].Count;

    /// <summary>Stops reading socket <paramref name="index"/> (so that closing it takes effect at once, as when a driver stopped).</summary>
    public void StopOne(int index)
    {
        Volatile.Write(ref _stopOne[index], true);
        _threads[index].Join();
    }

    public void Stop()
    {
        _stop = true;
        foreach (var t in _threads) t.Join();
    }

    public void Dispose() => Stop();
}
