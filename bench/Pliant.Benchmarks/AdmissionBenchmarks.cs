using System.Net;
using BenchmarkDotNet.Attributes;
using Pliant.Quic.Connection;

namespace Pliant.Benchmarks;

/// <summary>
/// What a junk Initial costs a server (issue 11): <see cref="QuicEndpointCore.HandleDatagram"/> with a
/// 1200-byte datagram whose long header is valid and whose DCID is new each time (so Initial keys are
/// derived each time) but whose payload does not decrypt. No connection is created.
/// </summary>
[MemoryDiagnoser]
public class AdmissionBenchmarks
{
    private readonly byte[][] _junk = new byte[1024][];
    private readonly IPEndPoint _from = new(IPAddress.Parse("192.0.2.1"), 4433);
    private QuicEndpointCore _server = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        for (int i = 0; i < _junk.Length; i++) _junk[i] = Pliant.Quic.Wire.SyntheticInitial.Junk(rng);
        using var cert = Pliant.Net.QuicServerCertificates.CreateSelfSigned("localhost");
        _server = new QuicEndpointCore(new QuicEndpointOptions
        {
            Server = new QuicConnectionOptions { Server = new Pliant.Quic.Tls.TlsServerOptions { Certificate = cert } },
        });
    }

    [Benchmark(Description = "junk Initial: parse, derive Initial keys, AEAD open fails, dropped")]
    public long JunkInitial()
    {
        var d = _junk[_next++ & 1023];
        _server.HandleDatagram(0, d, _from, EcnCodepoint.NotEct);
        if (_server.Connections.Count != 0) throw new InvalidOperationException("junk created a connection");
        return _server.Statistics.JunkInitials;
    }
}
