using Pliant.Quic.Connection;
using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

/// <summary>
/// Two StreamManagers wired back to back: each "packet" carries the frames one writes, is
/// delivered to the other (or lost, or reordered) and its frames are then acked or declared lost.
/// </summary>
internal sealed class StreamPair
{
    public readonly StreamManager Client;
    public readonly StreamManager Server;
    public readonly List<ConnectionEvent> ClientEvents = new();
    public readonly List<ConnectionEvent> ServerEvents = new();
    private readonly Random _rnd;
    public double LossRate;
    public int PacketSize = 1200;
    public long NowUs;
    public long RttUs = 20_000;
    public long StepUs = 5_000;
    public int PacketsSent;

    public StreamPair(LocalStreamSettings? client = null, LocalStreamSettings? server = null, int seed = 1)
    {
        client ??= new LocalStreamSettings();
        server ??= new LocalStreamSettings();
        _rnd = new Random(seed);
        Client = new StreamManager(true, client);
        Server = new StreamManager(false, server);
        Client.SetPeerLimits(Limits(server));
        Server.SetPeerLimits(Limits(client));
    }

    public static PeerStreamLimits Limits(LocalStreamSettings s) => new()
    {
        InitialMaxData = s.InitialMaxData,
        InitialMaxStreamDataBidiLocal = s.InitialMaxStreamDataBidiLocal,
        InitialMaxStreamDataBidiRemote = s.InitialMaxStreamDataBidiRemote,
        InitialMaxStreamDataUni = s.InitialMaxStreamDataUni,
        MaxStreamsBidi = s.MaxStreamsBidi,
        MaxStreamsUni = s.MaxStreamsUni,
    };

    public readonly record struct Packet(byte[] Bytes, List<SentFrame> Frames);

    /// <summary>Builds one packet from <paramref name="from"/>; null when it has nothing to send.</summary>
    public Packet? BuildPacket(StreamManager from)
    {
        if (!from.HasPendingControl && !from.HasPendingStreamData) return null;
        var buf = new byte[PacketSize];
        var frames = new List<SentFrame>();
        int n = from.WriteControlFrames(buf, frames, NowUs, RttUs);
        n += from.WriteStreamFrames(buf.AsSpan(n), frames);
        if (n == 0) return null;
        return new Packet(buf[..n], frames);
    }

    /// <summary>Exchanges packets (with loss and reordering) until both sides are idle.</summary>
    public void Run(Action? onIdleRound = null, int maxRounds = 100_000)
    {
        var inFlight = new List<(Packet P, StreamManager From, StreamManager To)>();
        for (int round = 0; round < maxRounds; round++)
        {
            onIdleRound?.Invoke();
            bool any = false;
            foreach (var (from, to) in new[] { (Client, Server), (Server, Client) })
            {
                for (int k = 0; k < 4; k++)
                {
                    var p = BuildPacket(from);
                    if (p is null) break;
                    PacketsSent++;
                    inFlight.Add((p.Value, from, to));
                    any = true;
                }
            }
            // Deliver a random subset (reordering), the rest stays in flight.
            while (inFlight.Count > 0 && (inFlight.Count > 6 || !any || _rnd.Next(2) == 0))
            {
                int i = _rnd.Next(inFlight.Count);
                var (p, from, to) = inFlight[i];
                inFlight.RemoveAt(i);
                NowUs += StepUs;
                if (_rnd.NextDouble() < LossRate)
                {
                    foreach (var f in p.Frames) from.OnFrameLost(f);
                }
                else
                {
                    TestFrameDecoder.Feed(to, p.Bytes, NowUs);
                    foreach (var f in p.Frames) from.OnFrameAcked(f);
                }
                any = true;
            }
            Drain();
            if (!any && inFlight.Count == 0) return;
        }
        throw new InvalidOperationException("did not converge");
    }

    public void Drain()
    {
        while (Client.TryPollEvent(out var e)) { ClientEvents.Add(e); OnClientEvent?.Invoke(e); }
        while (Server.TryPollEvent(out var e)) { ServerEvents.Add(e); OnServerEvent?.Invoke(e); }
    }

    public Action<ConnectionEvent>? OnClientEvent { get; set; }
    public Action<ConnectionEvent>? OnServerEvent { get; set; }
}
