using Pliant.Http3.Frames;
using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests.Hostile;

/// <summary>A hand-driven client in front of an <see cref="Http3ServerConnection"/>: it writes whatever bytes a test wants.</summary>
internal sealed class RawClient
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private RawClient(Http3ServerConnection server, Task run, InMemoryConnection client, InMemoryConnection serverSide, Stream control)
    {
        Server = server;
        Run = run;
        Connection = client;
        ServerSide = serverSide;
        Control = control;
    }

    public Http3ServerConnection Server { get; }
    public Task Run { get; }
    public InMemoryConnection Connection { get; }
    public InMemoryConnection ServerSide { get; }

    /// <summary>Our control stream, SETTINGS already written.</summary>
    public Stream Control { get; }

    public static async Task<RawClient> StartAsync(Func<Http3ServerRequest, Http3ServerResponse, CancellationToken, Task> handler, Http3ServerOptions? options = null)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var server = new Http3ServerConnection(s, handler, options);
        var run = Task.Run(() => server.RunAsync());
        var control = await c.OpenStreamAsync(false, default);
        await control.WriteAsync((byte[])[0x00, .. Http3FrameWriter.Settings(new Http3Settings())]);
        return new RawClient(server, run, c, s, control);
    }

    /// <summary>A HEADERS frame for a GET of <paramref name="path"/>, plus <paramref name="extra"/> fields.</summary>
    public static byte[] Headers(string method = "GET", string path = "/", params Http3Field[] extra) =>
        Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode(
        [
            new(":method", method), new(":scheme", "https"), new(":authority", "a"), new(":path", path), .. extra,
        ]));

    /// <summary>Opens a request stream and writes <paramref name="bytes"/>; FIN when <paramref name="fin"/>.</summary>
    public async Task<Stream> RequestAsync(byte[] bytes, bool fin = true)
    {
        var stream = await Connection.OpenStreamAsync(true, default);
        await stream.WriteAsync(bytes);
        if (fin) ((IH3StreamControl)stream).CompleteWrites();
        return stream;
    }

    /// <summary>Reads the response's status (the first HEADERS frame) from <paramref name="stream"/>.</summary>
    public static async Task<int> StatusAsync(Stream stream)
    {
        var reader = new Http3FrameReader(stream);
        var h = await reader.ReadFrameHeaderAsync(default).AsTask().WaitAsync(Timeout) ?? throw new IOException("no response");
        Assert.Equal(Http3FrameType.Headers, h.Type);
        var fields = QpackDecoder.Decode(await reader.ReadPayloadAsync(h.Length, default));
        return int.Parse(fields.Single(f => f.Name == ":status").Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A GET on a fresh stream answers 200: the connection still works.</summary>
    public async Task AssertStillServesAsync()
    {
        var stream = await RequestAsync(Headers());
        Assert.Equal(200, await StatusAsync(stream));
        Assert.Null(Server.Error);
    }
}
