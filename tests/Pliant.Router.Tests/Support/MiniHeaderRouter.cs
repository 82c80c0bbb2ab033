using System.Net;
using System.Net.Sockets;
using Pliant.Quic.Connection;
using Pliant.Quic.Wire;

namespace Pliant.Router.Tests.Support;

/// <summary>
/// The smallest stateless router: every client datagram goes to one backend behind the forwarding header,
/// every header datagram from the backend goes to the client it names. Managed sockets; for testing the
/// backend side (<c>QuicListenerOptions.ForwardedBy</c>) on its own.
/// </summary>
internal sealed class MiniHeaderRouter : IAsyncDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _back = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;
    private long _forwarded;
    private long _returned;

    public MiniHeaderRouter(IPEndPoint backend)
    {
        Backend = backend;
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loops = [Task.Run(FrontLoopAsync), Task.Run(BackLoopAsync)];
    }

    /// <summary>Set after construction when the backend's port is known only then.</summary>
    public IPEndPoint Backend { get; set; }

    public IPEndPoint FrontEndPoint => (IPEndPoint)_front.LocalEndPoint!;

    /// <summary>The address backends see datagrams come from (<c>ForwardedBy</c>).</summary>
    public IPEndPoint BackEndPoint => (IPEndPoint)_back.LocalEndPoint!;

    public long Forwarded => Interlocked.Read(ref _forwarded);

    public long Returned => Interlocked.Read(ref _returned);

    /// <summary>Datagrams returned, per client address the backend named.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<IPEndPoint, long> ReturnedTo { get; } = new();

    /// <summary>Sends raw bytes to the backend from the router's back socket (hostile-input tests).</summary>
    public void SendRawToBackend(byte[] datagram) => _back.SendTo(datagram, Backend);

    private async Task FrontLoopAsync()
    {
        var buffer = new byte[65536];
        var out_ = new byte[65536 + ForwardingHeader.MaxLength];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _front.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                continue;
            }
            int h = ForwardingHeader.Write(out_, (IPEndPoint)r.RemoteEndPoint, EcnCodepoint.NotEct);
            buffer.AsSpan(0, r.ReceivedBytes).CopyTo(out_.AsSpan(h));
            Interlocked.Increment(ref _forwarded);
            try
            {
                _back.SendTo(out_.AsSpan(0, h + r.ReceivedBytes), SocketFlags.None, Backend);
            }
            catch (SocketException)
            {
            }
        }
    }

    private async Task BackLoopAsync()
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _back.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                continue;
            }
            if (!ForwardingHeader.TryRead(buffer.AsSpan(0, r.ReceivedBytes), out int h, out _, out IPEndPoint? client)) continue;
            Interlocked.Increment(ref _returned);
            ReturnedTo.AddOrUpdate(client!, 1, (_, n) => n + 1);
            try
            {
                _front.SendTo(buffer.AsSpan(h, r.ReceivedBytes - h), SocketFlags.None, client!);
            }
            catch (SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _front.Dispose();
        _back.Dispose();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }
        _stop.Dispose();
    }
}
