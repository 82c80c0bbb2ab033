using System.Security.Cryptography.X509Certificates;

using Pliant.Plugins;
using Pliant.Quic.Connection;
using Pliant.Quic.Simulation;
using Pliant.Quic.Tls;

namespace Pliant.Cli.Sim;

/// <summary>Which side(s) of the simulated connection the plugins attach to.</summary>
internal enum SimSide { Server, Client, Both }

/// <summary>The figures of one simulated download (virtual time).</summary>
internal sealed record SimResult(bool Completed, string? Failure, double Seconds, double GoodputMbit, long PacketsSent, long PacketsLost,
    long Ptos, double SrttMs, double CwndKib, long LinkDrops, IReadOnlyList<(string Where, PluginInstance Plugin)> Plugins);

/// <summary>
/// One download of a <see cref="SimScenario"/> through the seeded simulator (<see cref="SimulatedPair"/>): the server
/// sends the client <see cref="SimScenario.SizeMib"/> on a unidirectional stream, optionally with plugins attached.
/// Memory stays bounded whatever the size: the data comes from one seeded 64 KiB block and is counted, not kept.
/// </summary>
internal static class SimRun
{
    private static readonly Lazy<X509Certificate2> Certificate = new(() => Pliant.Net.QuicServerCertificates.CreateSelfSigned("localhost"));

    public static SimResult Run(SimScenario s, int seed, IReadOnlyList<PluginModule> plugins, SimSide side)
    {
        var cc = CliSupport.ParseCongestionControl(s.Cc) ?? CongestionControlAlgorithm.Cubic;
        var server = new QuicConnectionOptions
        {
            Server = new TlsServerOptions { Certificate = Certificate.Value },
            Random = new Random(seed),
            CongestionControl = cc,
        };
        var pair = new SimulatedPair(seed, new QuicEndpointOptions { Server = server, Random = new Random(seed + 100), StaticKey = new byte[32] })
        {
            RecordDatagrams = false,
        };
        foreach (var link in new[] { pair.ClientToServer, pair.ServerToClient })
        {
            link.BandwidthBitsPerSecond = (long)(s.RateMbit * 1_000_000);
            link.DelayUs = (long)(s.DelayMs * 1000);
            link.LossRate = s.LossPercent / 100;
            link.ReorderRate = s.ReorderPercent / 100;
            link.ReorderDelayUs = (long)(s.ReorderDelayMs * 1000);
            link.QueueLimitBytes = s.QueueKib * 1024L;
        }
        var client = pair.Connect(new QuicConnectionOptions
        {
            Client = new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure },
            Random = new Random(seed + 1),
            CongestionControl = cc,
        });
        long limitUs = (long)(s.TimeLimitS * 1_000_000);
        if (!pair.RunUntil(() => client.HandshakeConfirmed && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected, limitUs))
            return Failed("the handshake did not complete", pair, client, null, []);
        var core = pair.Server.Connections[0];

        var attached = new List<(string, PluginInstance)>();
        var host = new PluginHost();
        foreach (var module in plugins)
        {
            if (side != SimSide.Client) attached.Add(("server", host.Attach(core, module, PluginOrigin.Application)));
            if (side != SimSide.Server) attached.Add(("client", host.Attach(client, module, PluginOrigin.Application)));
        }

        long size = (long)(s.SizeMib * 1024 * 1024);
        var block = new byte[64 * 1024];
        new Random(seed).NextBytes(block);
        if (!core.TryOpenStream(false, out ulong id)) return Failed("the server could not open a stream", pair, client, core, attached);
        long written = 0, received = 0;
        bool fin = false, opened = false, finished = false;
        var scratch = new byte[64 * 1024];
        long start = pair.NowUs;
        pair.OnStep = () =>
        {
            while (!fin && !core.IsClosed)
            {
                int offset = (int)(written % block.Length);
                int n = (int)Math.Min(block.Length - offset, size - written);
                int took = core.StreamWrite(id, block.AsSpan(offset, n), fin: written + n == size);
                written += took;
                if (written == size) fin = true;
                if (took < n) break; // the send buffer is full: wait for acknowledgments
            }
            while (client.TryPollEvent(out var e))
                if (e.Kind is ConnectionEventKind.StreamOpened or ConnectionEventKind.StreamReadable && e.StreamId == id) opened = true;
            while (opened && !finished && !client.IsClosed)
            {
                int n = client.StreamRead(id, scratch, out bool end);
                received += n;
                if (end) finished = true;
                if (n == 0) break;
            }
        };
        bool done = pair.RunUntil(() => finished || client.IsClosed || core.IsClosed, limitUs);
        if (!done || !finished)
            return Failed(client.IsClosed || core.IsClosed ? "the connection closed" : $"not complete after {s.TimeLimitS} s of virtual time ({received} of {size} bytes)",
                pair, client, core, attached);
        double seconds = (pair.NowUs - start) / 1e6;
        return new SimResult(true, null, seconds, received * 8 / seconds / 1e6, core.Statistics.PacketsSent, core.Statistics.PacketsLost,
            core.Statistics.PtoCount, core.SmoothedRttUs / 1000.0, core.CongestionWindow / 1024.0, pair.ClientToServer.Dropped + pair.ServerToClient.Dropped,
            attached);
    }

    private static SimResult Failed(string why, SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore? server,
        IReadOnlyList<(string, PluginInstance)> plugins)
    {
        var c = server ?? client;
        return new SimResult(false, why, double.NaN, double.NaN, c.Statistics.PacketsSent, c.Statistics.PacketsLost, c.Statistics.PtoCount,
            c.SmoothedRttUs / 1000.0, c.CongestionWindow / 1024.0, pair.ClientToServer.Dropped + pair.ServerToClient.Dropped, plugins);
    }
}
