using Pliant.Quic.Connection;
using static Pliant.Quic.Tests.Multipath.MultipathSetup;

namespace Pliant.Quic.Tests.Multipath;

/// <summary>Negotiating multipath, opening and validating a second path, using both (draft-ietf-quic-multipath-21).</summary>
public class PathLifecycleTests
{
    [Fact]
    public void BothSidesOfferingIt_NegotiateMultipath_OneSideAlone_DoesNot()
    {
        var pair = Pair(301, Server(301));
        var (client, server) = Connect(pair, Client(301));
        Assert.True(client.IsMultipath);
        Assert.True(server.IsMultipath);

        var single = Pair(302, Server(302, maxPathId: null));
        var (c2, s2) = Connect(single, Client(302));
        Assert.False(c2.IsMultipath);
        Assert.False(s2.IsMultipath);
        Assert.False(c2.TryOpenPath(single.NowUs, SecondInterface, out _));
    }

    [Fact]
    public void ASecondPathIsValidatedByBothSidesAndCarriesData()
    {
        var pair = Pair(303, Server(303));
        pair.AddClientPath(SecondInterface);
        var (client, server) = Connect(pair, Client(303));
        uint id = OpenSecondPath(pair, client, server);
        Assert.Equal(1u, id);
        Assert.Equal(2, client.Paths.Count);
        Download(pair, client, server, 4 << 20, 303);
        var paths = server.Paths;
        long total = paths.Sum(p => p.BytesSent);
        foreach (var p in paths)
            Assert.True(p.BytesSent > total / 5, $"path {p.PathId} carried {p.BytesSent} of {total} bytes");
    }
}
