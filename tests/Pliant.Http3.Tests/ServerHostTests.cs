using System.Threading.Channels;
using Pliant.Http3.Server;

namespace Pliant.Http3.Tests;

public class ServerHostTests
{
    [Fact]
    public async Task ServesSeveralConnectionsAndShutsDownGracefully()
    {
        var incoming = Channel.CreateUnbounded<IH3Connection>();
        using var cts = new CancellationTokenSource();
        var host = Http3ServerHost.RunAsync(
            async ct => await incoming.Reader.ReadAsync(ct),
            (req, resp, ct) => resp.WriteAsync(System.Text.Encoding.ASCII.GetBytes(req.Authority ?? ""), ct).AsTask(),
            ct: cts.Token);
        var pairs = Enumerable.Range(0, 3).Select(_ => InMemoryConnection.CreatePair()).ToArray();
        var clients = new List<Http3ClientConnection>();
        foreach (var (c, s) in pairs)
        {
            await incoming.Writer.WriteAsync(s);
            clients.Add(await Http3ClientConnection.ConnectAsync(c));
        }
        for (int i = 0; i < clients.Count; i++)
        {
            using var r = await clients[i].SendRequestAsync(new Http3Request { Authority = "host" + i }).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("host" + i, await new StreamReader(r.Content).ReadToEndAsync());
        }
        cts.Cancel();
        await host.WaitAsync(TimeSpan.FromSeconds(10));
        foreach (var (c, _) in pairs) Assert.Equal((ulong)Http3ErrorCode.NoError, await c.Aborted.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        foreach (var client in clients)
        {
            await client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Null(client.Error);
        }
    }
}
