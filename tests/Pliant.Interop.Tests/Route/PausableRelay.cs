using System.Net;
using System.Net.Sockets;

namespace Pliant.Interop.Tests.Route;

/// <summary>
/// A UDP relay between one client and a server that the test can pause (every datagram dropped, both ways) and
/// resume: it holds a download open for as long as a test needs, whatever the machine's speed.
/// </summary>
internal sealed class PausableRelay : IDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _back = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Thread _up, _down;
    private volatile IPEndPoint? _client;
    private volatile bool _paused;
    private long _downBytes;

    public PausableRelay(IPEndPoint server)
    {
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Connect(server);
        _up = new Thread(Up) { IsBackground = true };
        _down = new Thread(Down) { IsBackground = true };
        _up.Start();
        _down.Start();
    }

    /// <summary>Where clients send.</summary>
    public int Port => ((IPEndPoint)_front.LocalEndPoint!).Port;

    /// <summary>Bytes relayed from the server to the client.</summary>
    public long DownBytes => Interlocked.Read(ref _downBytes);

    public bool Paused
    {
        get => _paused;
        set => _paused = value;
    }

    private void Up()
    {
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                int n = _front.ReceiveFrom(buffer, ref from);
                _client = (IPEndPoint)from;
                if (!_paused) _back.Send(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private void Down()
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                int n;
                try
                {
                    n = _back.Receive(buffer);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    continue; // ICMP for an earlier datagram
                }
                if (_paused || _client is not { } client) continue;
                _front.SendTo(buffer.AsSpan(0, n), client);
                Interlocked.Add(ref _downBytes, n);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _front.Dispose();
        _back.Dispose();
        _up.Join();
        _down.Join();
    }
}
