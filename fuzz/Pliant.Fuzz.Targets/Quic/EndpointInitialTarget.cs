using Pliant.Quic;
using Pliant.Quic.Tls;

namespace Pliant.Fuzz.Quic;

/// <summary>
/// Server endpoint fed client Initials whose <em>plaintext</em> is the fuzz input: each chunk is the
/// frame payload of one correctly protected Initial (<see cref="ClientInitial"/>), so frame parsing,
/// CRYPTO reassembly, the ClientHello, transport parameters and the server's first flight all run.
/// Input: control byte (as <see cref="EndpointHarness.Deliver"/>) + length-prefixed plaintext, repeated.
/// </summary>
public sealed class EndpointInitialTarget : FuzzTarget
{
    public override string Name => "endpoint-initial";

    public override string Description => "server QuicEndpointCore fed correctly protected client Initials whose frames are the input (RFC 9001 §5.2 keys)";

    protected override void Execute(ReadOnlySpan<byte> input) => Probe(input);

    /// <summary>Runs one input and tells what the endpoint did.</summary>
    internal static (int Accepted, int Transmits, long BytesSent) Probe(ReadOnlySpan<byte> input)
    {
        var r = new FuzzInput(input);
        var h = new EndpointHarness(retry: false);
        for (uint pn = 0; pn < 16 && !r.IsEmpty; pn++)
        {
            byte control = r.Byte();
            h.Deliver(control, ClientInitial.Datagram(r.Chunk(), pn));
        }
        h.Finish();
        return h.Stats;
    }

    /// <summary>A real ClientHello from a client whose transport parameters match <see cref="ClientInitial.Scid"/>.</summary>
    internal static byte[] ClientHello()
    {
        var tls = TlsHandshake.CreateClient(new TlsClientOptions
        {
            ServerName = "localhost",
            Validation = CertificateValidation.Insecure,
        }, FixedKeys.TransportParameters(server: false, ClientInitial.Scid.ToArray()));
        tls.Start();
        while (tls.TryPollEvent(out var e))
            if (e.Kind == TlsEventKind.HandshakeData && e.Level == EncryptionLevel.Initial) return e.Data!;
        throw new InvalidOperationException("no ClientHello");
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        byte[] ch = ClientHello();
        byte[] crypto = ClientInitial.CryptoFrame(0, ch);
        yield return ("clienthello", FuzzInput.Build((0, crypto)));
        int half = ch.Length / 2;
        yield return ("clienthello-split", FuzzInput.Build((0, ClientInitial.CryptoFrame(0, ch.AsSpan(0, half))), (0x10, ClientInitial.CryptoFrame((ulong)half, ch.AsSpan(half)))));
        yield return ("clienthello-reversed", FuzzInput.Build((0, ClientInitial.CryptoFrame((ulong)half, ch.AsSpan(half))), (0x10, ClientInitial.CryptoFrame(0, ch.AsSpan(0, half)))));
        // PING, then an ACK of the server's packet 0, then the ClientHello.
        byte[] ping = [0x01];
        byte[] ack = [0x02, 0x00, 0x00, 0x00, 0x00];
        yield return ("ping-ack-crypto", FuzzInput.Build((0, [.. ping, .. ack, .. crypto])));
        // ClientHello then a CONNECTION_CLOSE (transport, PROTOCOL_VIOLATION, no frame type, reason "x").
        yield return ("crypto-close", FuzzInput.Build((0, crypto), (0x20, [0x1c, 0x0a, 0x00, 0x01, 0x78])));
        // ClientHello then ACK with ranges and ECN counts.
        yield return ("crypto-ack-ecn", FuzzInput.Build((0, crypto), (0x14, [0x03, 0x05, 0x00, 0x01, 0x01, 0x01, 0x01, 0x02, 0x03])));
    }
}
