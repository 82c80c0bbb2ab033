namespace Pliant.Fuzz.Quic;

/// <summary>
/// Server endpoint after a real handshake (<see cref="HandshakenClient"/>): each chunk of the input is
/// the plaintext of one correctly protected 1-RTT packet, so every frame type a client may send reaches
/// the server's handlers — streams and their reassembly, flow control, stream limits, ACKs, connection
/// IDs, path validation and migration (control bits pick the source address), key updates (control
/// bit 2), DATAGRAM, CONNECTION_CLOSE. Input: control byte + length-prefixed plaintext, repeated.
/// </summary>
public sealed class Endpoint1RttTarget : FuzzTarget
{
    public override string Name => "endpoint-1rtt";

    public override string Description => "server endpoint after a real handshake, fed correctly protected 1-RTT packets whose frames are the input";

    protected override void Execute(ReadOnlySpan<byte> input) => Probe(input, finish: true);

    /// <summary>Runs one input; returns the server connection's state before the final timers (for the reach tests).</summary>
    internal static Pliant.Quic.Connection.ConnectionState Probe(ReadOnlySpan<byte> input, bool finish)
    {
        var server = new EndpointHarness(retry: false);
        var client = HandshakenClient.Connect(server);
        var r = new FuzzInput(input);
        for (int i = 0; i < 16 && !r.IsEmpty; i++)
        {
            byte control = r.Byte();
            client.Send(control, r.Chunk());
        }
        var state = server.Endpoint.Connections.Count > 0 ? server.Endpoint.Connections[0].State : Pliant.Quic.Connection.ConnectionState.Closed;
        if (finish) server.Finish();
        return state;
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        byte[] stream0 = [0x0f, 0x00, 0x00, 0x05, .. "hello"u8]; // STREAM id 0, offset 0, length, FIN
        byte[] streamOffset = [0x0e, 0x00, 0x05, 0x03, .. "abc"u8]; // STREAM id 0 at offset 5, no FIN
        byte[] uni = [0x0a, 0x02, 0x04, 0x00, 0x04, 0x01, 0x02]; // STREAM id 2 (client uni), length 4
        byte[] ack = [0x02, 0x01, 0x00, 0x00, 0x01];
        byte[] flow = [0x10, 0x44, 0x00, 0x11, 0x00, 0x44, 0x00, 0x12, 0x10, 0x13, 0x10, 0x14, 0x01, 0x15, 0x00, 0x01, 0x16, 0x01, 0x17, 0x01];
        byte[] newCid = [0x18, 0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, .. new byte[16]];
        byte[] retire = [0x19, 0x00];
        byte[] challenge = [0x1a, 1, 2, 3, 4, 5, 6, 7, 8];
        byte[] response = [0x1b, 1, 2, 3, 4, 5, 6, 7, 8];
        byte[] reset = [0x04, 0x00, 0x07, 0x05];
        byte[] stopSending = [0x05, 0x00, 0x07];
        byte[] datagram = [0x31, 0x03, 1, 2, 3];
        byte[] ping = [0x01];
        byte[] close = [0x1d, 0x00, 0x02, 0x68, 0x69];
        // draft-ietf-quic-multipath-21 §4: PATH_ACK, PATH_STATUS_AVAILABLE, PATH_NEW_CONNECTION_ID, MAX_PATH_ID,
        // PATH_ABANDON. Until a connection negotiates multipath they are unknown frames (FRAME_ENCODING_ERROR).
        byte[] pathAck = [0x3e, 0x00, 0x01, 0x00, 0x00, 0x01];
        byte[] pathStatus = [0x7e, 0x77, 0x00, 0x01];
        byte[] pathNewCid = [0x7e, 0x78, 0x01, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 9, .. new byte[16]];
        byte[] maxPathId = [0x7e, 0x7a, 0x04];
        byte[] pathAbandon = [0x7e, 0x75, 0x01, 0x3e];
        yield return ("stream", FuzzInput.Build((0, stream0)));
        yield return ("stream-out-of-order", FuzzInput.Build((0, streamOffset), (0x10, [0x0c, 0x00, .. "hello"u8]), (0x10, uni)));
        yield return ("ack-flow", FuzzInput.Build((0, [.. ack, .. flow])));
        yield return ("connection-ids", FuzzInput.Build((0, newCid), (0, retire)));
        yield return ("migration", FuzzInput.Build((0, ping), (0x01, challenge), (0x01, response)));
        yield return ("reset-stop", FuzzInput.Build((0, stream0), (0, [.. reset, .. stopSending])));
        yield return ("key-update", FuzzInput.Build((0, ping), (0x04, ping), (0x10, stream0)));
        yield return ("datagram", FuzzInput.Build((0, datagram), (0x08, datagram)));
        yield return ("close", FuzzInput.Build((0, stream0), (0x20, close)));
        yield return ("idle", FuzzInput.Build((0xf0, ping), (0xf0, ping)));
        yield return ("multipath", FuzzInput.Build((0, pathAck), (0, pathStatus), (0, pathNewCid), (0, maxPathId), (0, pathAbandon)));
    }
}
