using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Routing;

/// <summary>A client that changes address mid-download stays on its backend (issue 13 item 3).</summary>
public sealed class MigrationTests
{
    [Fact]
    public void MigrationToANewIdOfAPliantBackendRoutesByQuicLb()
    {
        var t = new Topology(21);
        var client = t.Connect(21, Options.Client(21, "a.example"));
        int decisionsBefore = 0;
        Assert.True(t.Download(client, 600_000, midway: () =>
        {
            t.Network.MoveClient(0);
            Assert.True(client.MigrateToNewLocalAddress(t.Network.NowUs));
            decisionsBefore = t.Network.Decisions.Count;
        }));
        Assert.Same(t.ServerA, t.LastServedBy);
        Assert.Equal(1, client.PathMigrations);
        Assert.Equal(0, t.Network.BackendReceived[1]);
        Assert.All(t.Network.Decisions.Skip(decisionsBefore), d => Assert.Same(t.A, d.Backend));
        Assert.Equal(0, t.Router.Statistics.TotalDrops);
    }

    [Theory]
    [InlineData("a.example")]
    [InlineData("b.example")]
    public void NatRebindingKeepsTheBackend(string name)
    {
        var t = new Topology(22);
        var client = t.Connect(22, Options.Client(22, name));
        Assert.True(t.Download(client, 600_000, midway: () => t.Network.MoveClient(0)));
        Assert.Same(name == "a.example" ? t.ServerA : t.ServerB, t.LastServedBy);
        Assert.Equal(0, t.Router.Statistics.TotalDrops);
        // The server followed the client to its new address (RFC 9000 §9.3).
        var server = (name == "a.example" ? t.ServerA : t.ServerB).Connections.Single();
        Assert.Equal(1, server.PathMigrations);
    }

    [Fact]
    public void ActiveMigrationToANewIdOfAForeignBackendCannotBeRouted()
    {
        // Documented limit (docs/routing.md): a foreign server's NEW_CONNECTION_ID IDs travel encrypted, so the
        // router cannot know them; from a new address they match no table.
        var t = new Topology(23);
        var client = t.Connect(23, Options.Client(23, "b.example"));
        bool ok = t.Download(client, 600_000, midway: () =>
        {
            t.Network.MoveClient(0);
            client.MigrateToNewLocalAddress(t.Network.NowUs);
        }, limitUs: 20_000_000);
        Assert.False(ok);
        Assert.True(t.Router.Statistics.Drops(DropReason.UnknownConnectionId) > 0);
    }
}
