using System.Net;
using Pliant.Quic;
using Pliant.Quic.Wire;

namespace Pliant.Fuzz.Quic;

/// <summary>
/// <see cref="TransportParameters.Decode"/> (RFC 9000 §18). First byte bit 0: sent by the server.
/// Whatever decodes must encode and decode again to the same encoding (a round-trip invariant).
/// </summary>
public sealed class TransportParametersTarget : FuzzTarget
{
    public override string Name => "transport-params";

    public override string Description => "TransportParameters.Decode (client and server side) plus an encode/decode round trip";

    protected override void Execute(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        bool server = (input[0] & 1) != 0;
        var tp = TransportParameters.Decode(input[1..], server);
        byte[] encoded = tp.Encode();
        TransportParameters again;
        try
        {
            again = TransportParameters.Decode(encoded, server);
        }
        catch (QuicProtocolException e)
        {
            throw new FuzzInvariantException("re-encoded transport parameters do not decode: " + e.Message);
        }
        if (!again.Encode().AsSpan().SequenceEqual(encoded))
            throw new FuzzInvariantException("transport parameters changed in an encode/decode round trip");
    }

    protected override bool IsExpected(Exception e) => e is QuicProtocolException;

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        yield return ("server", [1, .. FixedKeys.TransportParameters(server: true)]);
        yield return ("client", [0, .. FixedKeys.TransportParameters(server: false)]);
        var full = new TransportParameters
        {
            OriginalDestinationConnectionId = new ConnectionId([1, 2, 3, 4, 5, 6, 7, 8]),
            MaxIdleTimeoutMs = 1,
            StatelessResetToken = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray(),
            MaxUdpPayloadSize = 1500,
            InitialMaxData = ulong.MaxValue >> 2,
            InitialMaxStreamsBidi = 1UL << 60,
            AckDelayExponent = 20,
            MaxAckDelayMs = 16383,
            DisableActiveMigration = true,
            ActiveConnectionIdLimit = 8,
            InitialSourceConnectionId = new ConnectionId([]),
            RetrySourceConnectionId = new ConnectionId(new byte[20]),
            MaxDatagramFrameSize = 65535,
            PreferredAddress = new PreferredAddress(new IPEndPoint(IPAddress.Loopback, 443), new IPEndPoint(IPAddress.IPv6Loopback, 443),
                new ConnectionId([9, 9, 9, 9]), new byte[16]),
            VersionInformation = new VersionInformation(QuicVersion.V1, [QuicVersion.V1, QuicVersion.V2]),
            InitialMaxPathId = uint.MaxValue, // draft-ietf-quic-multipath-21 §2.1: the largest valid value
        };
        full.Unknown.Add((0x50a1, [1, 0, 0]));
        full.Unknown.Add((27 + 31, []));
        yield return ("server-full", [1, .. full.Encode()]);
    }
}
