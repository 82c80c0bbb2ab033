using Pliant.Quic.Connection;
using Pliant.Quic.Tls;

namespace Pliant.Fuzz.Quic;

/// <summary>
/// Raw datagrams into a server endpoint (<c>QuicEndpointCore.HandleDatagram</c>): header parsing,
/// routing, Version Negotiation, Retry, stateless reset, Initial decryption. Input: a sequence of
/// control byte + length-prefixed datagram (see <see cref="EndpointHarness.Deliver"/>); the first
/// control byte's top bit turns on Retry.
/// </summary>
public sealed class EndpointTarget : FuzzTarget
{
    public override string Name => "endpoint";

    public override string Description => "server QuicEndpointCore.HandleDatagram, raw datagrams (length-prefixed sequence), output and timers polled";

    protected override void Execute(ReadOnlySpan<byte> input) => Probe(input);

    /// <summary>Runs one input and tells what the endpoint did.</summary>
    internal static (int Accepted, int Transmits, long BytesSent) Probe(ReadOnlySpan<byte> input)
    {
        var r = new FuzzInput(input);
        var h = new EndpointHarness(retry: input.Length > 0 && (input[0] & 0x80) != 0 && (input[0] & 0x70) == 0);
        for (int i = 0; i < 32 && !r.IsEmpty; i++)
        {
            byte control = r.Byte();
            h.Deliver(control, r.Chunk());
        }
        h.Finish();
        return h.Stats;
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        var first = ClientFlight.FirstDatagram(QuicVersionSeed.V1);
        yield return ("client-initial", FuzzInput.Build((0, first)));
        yield return ("client-initial-v2", FuzzInput.Build((0, ClientFlight.FirstDatagram(QuicVersionSeed.V2))));
        yield return ("client-initial-twice", FuzzInput.Build((0, first), (0x11, first)));
        yield return ("client-initial-retry", FuzzInput.Build((0x80, first)));
        // Unknown version → Version Negotiation.
        var vn = (byte[])first.Clone();
        vn[1] = 0x1a; vn[2] = 0x2a; vn[3] = 0x3a; vn[4] = 0x4a;
        yield return ("unknown-version", FuzzInput.Build((0, vn)));
        // Short header to an unknown connection ID → stateless reset.
        var shortHeader = new byte[60];
        shortHeader[0] = 0x41;
        for (int i = 1; i < shortHeader.Length; i++) shortHeader[i] = (byte)i;
        yield return ("short-header", FuzzInput.Build((0, shortHeader)));
        // Coalesced: the Initial then a junk Handshake packet.
        byte[] coalesced = [.. first[..^40], 0xe0, .. first[1..6], 0x00, 0x10, .. new byte[15]];
        yield return ("coalesced", FuzzInput.Build((0, coalesced)));
    }
}

/// <summary>Which version a seed's client speaks.</summary>
internal enum QuicVersionSeed
{
    V1,
    V2,
}

/// <summary>Real client datagrams, made by a real client connection, for seeds.</summary>
internal static class ClientFlight
{
    /// <summary>The first datagram of a client (a padded Initial with its ClientHello).</summary>
    public static byte[] FirstDatagram(QuicVersionSeed version)
    {
        uint v = version == QuicVersionSeed.V2 ? Pliant.Quic.QuicVersion.V2 : Pliant.Quic.QuicVersion.V1;
        var client = new QuicEndpointCore(new QuicEndpointOptions { StaticKey = FixedKeys.StaticKey, Random = new Random(3) });
        var options = new QuicConnectionOptions
        {
            Client = new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure },
            Random = new Random(4),
            InitialVersion = v,
            Versions = [v],
            MaxDatagramFrameSize = 1200,
        };
        client.Connect(1_000_000, options, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 4433));
        var buffer = new byte[65_536];
        if (!client.PollTransmit(1_000_000, buffer, 1, out var t)) throw new InvalidOperationException("the client sent nothing");
        return buffer[..t.SegmentSize];
    }
}
