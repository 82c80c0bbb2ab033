using System.Net;
using System.Security.Cryptography;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Multipath;

/// <summary>A client and a server that negotiated multipath (draft-ietf-quic-multipath-21), in the simulator.</summary>
public static class MultipathSetup
{
    /// <summary>The client's second interface.</summary>
    public static readonly IPEndPoint SecondInterface = new(IPAddress.Parse("10.0.1.2"), 50001);

    public static QuicConnectionOptions Server(int seed, uint? maxPathId = 3, PathSchedulerKind scheduler = PathSchedulerKind.LowestRtt,
        CongestionControlAlgorithm cc = CongestionControlAlgorithm.Cubic, string? qlogDirectory = null,
        Pliant.Quic.Diagnostics.QlogFormat qlogFormat = Pliant.Quic.Diagnostics.QlogFormat.JsonSeq) => new()
    {
        QlogDirectory = qlogDirectory,
        QlogFormat = qlogFormat,
        Server = new SimulationSetup.TlsServerOptionsBuilder().Build(),
        Random = new Random(seed),
        CongestionControl = cc,
        MaxPathId = maxPathId,
        PathScheduler = scheduler,
    };

    public static QuicConnectionOptions Client(int seed, uint? maxPathId = 3, PathSchedulerKind scheduler = PathSchedulerKind.LowestRtt,
        CongestionControlAlgorithm cc = CongestionControlAlgorithm.Cubic, string? qlogDirectory = null,
        Pliant.Quic.Diagnostics.QlogFormat qlogFormat = Pliant.Quic.Diagnostics.QlogFormat.JsonSeq) => new()
    {
        QlogDirectory = qlogDirectory,
        QlogFormat = qlogFormat,
        Client = new Pliant.Quic.Tls.TlsClientOptions { ServerName = "localhost", Validation = Pliant.Quic.Tls.CertificateValidation.Insecure },
        Random = new Random(seed),
        CongestionControl = cc,
        MaxPathId = maxPathId,
        PathScheduler = scheduler,
    };

    /// <summary>Sets a simulated link's rate (bit/s), one-way delay (µs) and queue limit (bytes).</summary>
    public static void Shape(Pliant.Quic.Simulation.SimulatedLink link, long bitsPerSecond, long delayUs, int queueBytes)
    {
        link.BandwidthBitsPerSecond = bitsPerSecond;
        link.DelayUs = delayUs;
        link.QueueLimitBytes = queueBytes;
    }

    public static SimulatedPair Pair(int seed, QuicConnectionOptions server) => new(seed, SimulationSetup.ServerEndpoint(seed, server));

    /// <summary>Connects, waits until both sides are connected (client confirmed), and returns both connections.</summary>
    public static (QuicConnectionCore Client, QuicConnectionCore Server) Connect(SimulatedPair pair, QuicConnectionOptions client)
    {
        var c = pair.Connect(client);
        Assert.True(pair.RunUntil(() => c.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected, 30_000_000));
        pair.RunFor(500_000); // HANDSHAKE_DONE and the connection IDs of the other path IDs arrive
        return (c, pair.Server.Connections[0]);
    }

    /// <summary>Opens a path from <see cref="SecondInterface"/> and waits until both sides validated it.</summary>
    public static uint OpenSecondPath(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server)
    {
        Assert.True(client.TryOpenPath(pair.NowUs, SecondInterface, out uint id), "no path ID available");
        Assert.True(pair.RunUntil(() => Validated(client, id) && Validated(server, id), 10_000_000), "the second path was not validated");
        return id;
    }

    public static bool Validated(QuicConnectionCore c, uint pathId) => c.Paths.Any(p => p.PathId == pathId && p.Validated && !p.Abandoned);

    public static byte[] Payload(int seed, int size)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>The client sends <paramref name="size"/> bytes on a stream; returns when the server has them all.</summary>
    public static void Upload(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server, int size, int seed,
        long limitUs = 120_000_000, Action? onStep = null)
    {
        Assert.True(client.TryOpenStream(true, out ulong id));
        var payload = Payload(seed, size);
        var pump = new StreamPump(client, id, payload);
        var collector = new StreamCollector(server);
        pair.OnStep = () => { pump.Step(); collector.Step(); onStep?.Invoke(); };
        bool done = pair.RunUntil(() => collector.Finished.Contains(id), limitUs);
        Assert.True(done, $"upload incomplete: {(collector.Data.TryGetValue(id, out var got) ? got.Length : 0)} of {size} bytes; seed {seed}");
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(collector.Data[id].ToArray()));
        pair.OnStep = null;
    }

    /// <summary>The server sends <paramref name="size"/> bytes on a stream the client opened; returns when the client has them all.</summary>
    public static void Download(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server, int size, int seed,
        long limitUs = 120_000_000, Action? onStep = null)
    {
        Assert.True(client.TryOpenStream(true, out ulong id));
        client.StreamWrite(id, [1], fin: true);
        var payload = Payload(seed, size);
        StreamPump? pump = null;
        var serverCollector = new StreamCollector(server);
        var collector = new StreamCollector(client);
        pair.OnStep = () =>
        {
            serverCollector.Step();
            if (pump is null && serverCollector.Finished.Contains(id)) pump = new StreamPump(server, id, payload);
            pump?.Step();
            collector.Step();
            onStep?.Invoke();
        };
        bool done = pair.RunUntil(() => collector.Finished.Contains(id), limitUs);
        Assert.True(done, $"download incomplete: {(collector.Data.TryGetValue(id, out var got) ? got.Length : 0)} of {size} bytes; seed {seed}");
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(collector.Data[id].ToArray()));
        pair.OnStep = null;
    }
}
