using System.Net;
using Pliant.Quic.Connection;

namespace Pliant.Router.Tests.Support;

/// <summary>A client endpoint and a server endpoint exchanging datagrams instantly on a virtual clock (no router).</summary>
internal sealed class DirectPump(QuicEndpointCore client, QuicEndpointCore server)
{
    private readonly byte[] _buffer = new byte[65536];

    public IPEndPoint ClientAddress { get; set; } = new(IPAddress.Parse("192.0.2.10"), 40000);
    public IPEndPoint ServerAddress { get; } = new(IPAddress.Parse("192.0.2.1"), 443);
    public long NowUs { get; private set; } = 1_000_000;

    /// <summary>Every datagram the server sent, in order.</summary>
    public List<byte[]> ServerSent { get; } = [];

    /// <summary>Every datagram the client sent, in order.</summary>
    public List<byte[]> ClientSent { get; } = [];

    public bool RunUntil(Func<bool> done, int maxSteps = 100_000)
    {
        for (int i = 0; i < maxSteps; i++)
        {
            bool any = false;
            while (client.PollTransmit(NowUs, _buffer, 1, out var t))
            {
                any = true;
                var d = _buffer.AsSpan(0, t.Length).ToArray();
                ClientSent.Add(d);
                server.HandleDatagram(NowUs, d, ClientAddress, EcnCodepoint.NotEct);
            }
            while (server.PollTransmit(NowUs, _buffer, 1, out var t))
            {
                any = true;
                var d = _buffer.AsSpan(0, t.Length).ToArray();
                ServerSent.Add(d);
                client.HandleDatagram(NowUs, d, ServerAddress, EcnCodepoint.NotEct);
            }
            if (done()) return true;
            if (!any)
            {
                long next = Math.Min(client.PollTimeout() ?? long.MaxValue, server.PollTimeout() ?? long.MaxValue);
                if (next == long.MaxValue) return done();
                NowUs = Math.Max(NowUs + 1, next);
                client.HandleTimeout(NowUs);
                server.HandleTimeout(NowUs);
            }
        }
        return done();
    }
}
