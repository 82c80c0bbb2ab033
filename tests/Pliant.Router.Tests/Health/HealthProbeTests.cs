using System.Net;
using Pliant.Quic;
using Pliant.Quic.Connection;
using Pliant.Router.Rules;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Health;

/// <summary>
/// Backend health: every backend is probed once per interval with a packet of a reserved version, which any
/// QUIC server answers with Version Negotiation; after three unanswered probes in a row the backend is down and
/// new connections skip it, the first answer brings it back. Existing connections are never cut off.
/// </summary>
public sealed class HealthProbeTests
{
    private static readonly IPEndPoint ProbeClient = new(IPAddress.Any, 0);

    private sealed class Setup
    {
        public readonly RouterBackend Live = new(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 443), forwardingHeader: true, "live");
        public readonly RouterBackend Silent = new(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 443), forwardingHeader: false, "silent");
        public readonly QuicEndpointCore LiveServer = new(Options.Server(61));
        public readonly QuicRouter Router;
        public bool SilentAnswers;
        public long NowUs = 1_000_000;
        private readonly QuicEndpointCore _silentServer = new(Options.Server(62));

        public Setup()
        {
            var rules = new RoutingRules();
            rules.AddName("a.example", Live);
            rules.AddName("a.example", Silent);
            Router = new QuicRouter([Live, Silent], rules, null, new RouterLimits { ProbeInterval = TimeSpan.FromSeconds(1), ProbesBeforeDown = 3 },
                RandomSource.Seeded(new Random(6)));
        }

        /// <summary>Advances by whole seconds, sending every probe due and delivering the answers of those that answer.</summary>
        public void Run(int seconds)
        {
            var probe = new byte[QuicRouter.ProbeLength];
            var answer = new byte[2048];
            for (int s = 0; s < seconds; s++)
            {
                NowUs += 1_000_000;
                while (Router.TryPollProbe(NowUs, probe, out var backend, out int length))
                {
                    Assert.Equal(QuicRouter.ProbeLength, length);
                    var server = backend == Live ? LiveServer : SilentAnswers ? _silentServer : null;
                    if (server is null) continue;
                    server.HandleDatagram(NowUs, probe.AsSpan(0, length), ProbeClient, EcnCodepoint.NotEct);
                    while (server.PollTransmit(NowUs, answer, 1, out var t))
                        Assert.True(Router.OnBackendDatagram(NowUs, backend, answer.AsSpan(0, t.Length)), "a probe answer was not recognised");
                }
                Router.HandleTimeout(NowUs);
            }
        }
    }

    [Fact]
    public void ASilentBackendGoesDownAndComesBackWhenItAnswers()
    {
        var s = new Setup();
        s.Run(2);
        Assert.Equal(BackendHealth.Up, s.Silent.Health);
        s.Run(2);
        // Probes at 1, 2, 3, 4 s: when the fourth is due, three in a row went unanswered.
        Assert.Equal(BackendHealth.Down, s.Silent.Health);
        Assert.Equal(BackendHealth.Up, s.Live.Health);
        Assert.Equal(1, s.Router.Statistics.BackendsMarkedDown);
        Assert.True(s.LiveServer.Statistics.VersionNegotiationSent >= 4);

        // New connections all go to the live one now.
        var hello = Forge.ClientHello("a.example");
        for (int i = 0; i < 50; i++)
        {
            var dcid = BitConverter.GetBytes((long)i);
            Assert.Same(s.Live, s.Router.RouteFromClient(s.NowUs, Forge.Initials(dcid, hello)[0], new IPEndPoint(IPAddress.Loopback, 2000 + i)).Backend);
        }

        s.SilentAnswers = true;
        s.Run(1);
        Assert.Equal(BackendHealth.Up, s.Silent.Health);
        Assert.Equal(1, s.Router.Statistics.BackendsMarkedUp);
        int toSilent = 0;
        for (int i = 0; i < 50; i++)
        {
            var dcid = BitConverter.GetBytes((long)(1000 + i));
            if (s.Router.RouteFromClient(s.NowUs, Forge.Initials(dcid, hello)[0], new IPEndPoint(IPAddress.Loopback, 3000 + i)).Backend == s.Silent) toSilent++;
        }
        Assert.InRange(toSilent, 10, 40);
    }

    [Fact]
    public void ADownBackendStillGetsItsExistingConnectionsDatagrams()
    {
        var t = new Topology(63);
        var client = t.Connect(63, Options.Client(63, "a.example"));
        Assert.True(t.Download(client, 100_000, midway: () => t.A.Health = BackendHealth.Down));
        Assert.Same(t.ServerA, t.LastServedBy);
        Assert.Equal(0, t.Router.Statistics.TotalDrops);
        // But a new one for a.example finds no backend.
        var r = t.Network.Inject(Forge.Initials([4, 4, 4, 4, 4, 4, 4, 4], Forge.ClientHello("a.example"))[0], new IPEndPoint(IPAddress.Loopback, 9));
        Assert.Equal(DropReason.NoBackend, r.Reason);
    }

    [Fact]
    public void OnlyTheCurrentProbesAnswerCounts()
    {
        var s = new Setup();
        var probe = new byte[QuicRouter.ProbeLength];
        Assert.True(s.Router.TryPollProbe(s.NowUs, probe, out var first, out _));
        // A Version Negotiation packet with another DCID (a real client's, or a forged one) is not a probe answer.
        var vn = new byte[30];
        vn[0] = 0x80;
        vn[5] = 8;
        vn[14] = 8;
        Assert.False(s.Router.OnBackendDatagram(s.NowUs, first, vn));
        Assert.Equal(0, s.Router.Statistics.BackendsMarkedUp);
    }
}
