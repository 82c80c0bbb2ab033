using Pliant.Http3;
using Pliant.Http3.Frames;
using Pliant.Http3.Qpack;

namespace Pliant.Fuzz.Http3;

/// <summary>
/// A whole <see cref="Http3ServerConnection"/> over scripted peer streams: the frame reader, control
/// stream (SETTINGS, GOAWAY, MAX_PUSH_ID...), QPACK encoder/decoder streams, request streams (HEADERS,
/// QPACK, message validation, DATA, trailers, content-length). Input: control byte + length-prefixed
/// stream bytes, repeated. Control bit 0: unidirectional (the bytes start with the stream type) or a
/// request stream; bit 1: the stream is reset after its bytes (else FIN for requests, left open for
/// unidirectional streams); bits 4–7: bytes per read (0: as many as asked).
/// <para>Crash: the run does not finish within <see cref="RunTimeout"/>, or the server closed anything
/// with H3_INTERNAL_ERROR (its catch-all for exceptions it did not expect).</para>
/// </summary>
public sealed class Http3ServerTarget : FuzzTarget
{
    /// <summary>Generous: a run is normally well under a millisecond.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(10);

    public override string Name => "http3";

    public override string Description => "Http3ServerConnection over scripted streams: frame reader, control/QPACK streams, requests, bodies, trailers";

    public override int MaxInputLength => 16 * 1024;

    protected override void Execute(ReadOnlySpan<byte> input) => Probe(input);

    /// <summary>Runs one input; returns the response bytes written on request streams (for the reach tests).</summary>
    internal static long Probe(ReadOnlySpan<byte> input)
    {
        var r = new FuzzInput(input);
        var connection = new ScriptedConnection();
        var requests = new List<ScriptedStream>();
        ulong nextRequest = 0, nextUni = 2;
        for (int i = 0; i < 16 && !r.IsEmpty; i++)
        {
            byte control = r.Byte();
            byte[] data = r.Chunk().ToArray();
            bool uni = (control & 1) != 0;
            ulong id = uni ? nextUni : nextRequest;
            if (uni) nextUni += 4; else nextRequest += 4;
            var stream = new ScriptedStream(connection, id, data, fin: !uni, reset: (control & 2) != 0, readSize: control >> 4);
            if (!uni) requests.Add(stream);
            connection.AddIncoming(stream);
        }

        // A request whose field section waits for QPACK inserts that never come (a blocked stream, RFC 9204
        // §2.1.2) ends at the header timeout: short here, so such inputs stay fast.
        var server = new Http3ServerConnection(connection, HandleAsync,
            new Http3ServerOptions { MaxFieldSectionSize = 4096, MaxFrameSize = 4096, RequestHeadersTimeout = TimeSpan.FromMilliseconds(250) });
        var run = server.RunAsync();
        bool finished = run.Wait(RunTimeout);
        server.Close();
        connection.Shutdown();
        if (!finished) throw new TimeoutException("the HTTP/3 server did not finish a scripted connection within " + RunTimeout);
        if (connection.InternalErrors > 0) throw new FuzzInvariantException("the HTTP/3 server closed a stream or the connection with H3_INTERNAL_ERROR (an unexpected exception)");
        return requests.Sum(s => s.BytesWritten);
    }

    private static async Task HandleAsync(Http3ServerRequest request, Http3ServerResponse response, CancellationToken ct)
    {
        var buffer = new byte[1024];
        long total = 0;
        while (true)
        {
            int n = await request.Body.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        response.SetHeader("content-type", "text/plain");
        await response.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"{request.Method} {request.Path} {total}"), ct).ConfigureAwait(false);
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        byte[] settings = [0x00, .. Http3FrameWriter.Settings(new Http3Settings { MaxFieldSectionSize = 8192 })];
        byte[] get = Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode(
            [new(":method", "GET"), new(":scheme", "https"), new(":authority", "localhost"), new(":path", "/")]));
        byte[] post = Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode(
            [new(":method", "POST"), new(":scheme", "https"), new(":authority", "localhost"), new(":path", "/upload"), new("content-length", "5")]));
        byte[] data = Http3FrameWriter.Frame(Http3FrameType.Data, "hello"u8.ToArray());
        byte[] trailers = Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode([new("x-checksum", "abc")]));
        byte[] unknown = Http3FrameWriter.Frame(0x21, [1, 2, 3]);
        yield return ("get", FuzzInput.Build((1, settings), (0, get)));
        yield return ("post-trailers", FuzzInput.Build((1, settings), (0, [.. post, .. unknown, .. data, .. trailers])));
        yield return ("post-bytewise", FuzzInput.Build((0x11, settings), (0x10, [.. post, .. data])));
        yield return ("qpack-streams", FuzzInput.Build((1, settings), (1, [0x02, 0x20]), (1, [0x03, 0x80]), (0, get)));
        yield return ("goaway", FuzzInput.Build((1, [.. settings, .. Http3FrameWriter.VarIntFrame(Http3FrameType.MaxPushId, 8),
            .. Http3FrameWriter.VarIntFrame(Http3FrameType.GoAway, 4)]), (0, get)));
        yield return ("reset-request", FuzzInput.Build((1, settings), (2, post)));
        yield return ("connect", FuzzInput.Build((0, Http3FrameWriter.Frame(Http3FrameType.Headers, QpackEncoder.Encode(
            [new(":method", "CONNECT"), new(":authority", "localhost:443")])))));
    }
}
