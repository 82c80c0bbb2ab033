using System.Net;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Wire;

public class TransportParametersTests
{
    private static TransportParameters Full() => new()
    {
        OriginalDestinationConnectionId = new ConnectionId([1, 2, 3, 4, 5, 6, 7, 8]),
        MaxIdleTimeoutMs = 30_000,
        StatelessResetToken = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray(),
        MaxUdpPayloadSize = 1472,
        InitialMaxData = 1 << 20,
        InitialMaxStreamDataBidiLocal = 1 << 18,
        InitialMaxStreamDataBidiRemote = 1 << 17,
        InitialMaxStreamDataUni = 1 << 16,
        InitialMaxStreamsBidi = 100,
        InitialMaxStreamsUni = 3,
        AckDelayExponent = 5,
        MaxAckDelayMs = 40,
        DisableActiveMigration = true,
        PreferredAddress = new PreferredAddress(
            new IPEndPoint(IPAddress.Parse("192.0.2.1"), 4433),
            new IPEndPoint(IPAddress.Parse("2001:db8::1"), 4434),
            new ConnectionId([9, 9, 9, 9]),
            Enumerable.Range(100, 16).Select(i => (byte)i).ToArray()),
        ActiveConnectionIdLimit = 8,
        InitialSourceConnectionId = new ConnectionId([5, 5]),
        RetrySourceConnectionId = new ConnectionId([6, 6, 6]),
        VersionInformation = new VersionInformation(QuicVersion.V1, [QuicVersion.V1, QuicVersion.V2]),
        MaxDatagramFrameSize = 65535,
    };

    [Fact]
    public void RoundTripsEveryParameter()
    {
        var tp = Full();
        tp.Unknown.Add((0x7777, [1, 2, 3]));
        byte[] enc = tp.Encode();
        var d = TransportParameters.Decode(enc, sentByServer: true);
        Assert.Equal(tp.OriginalDestinationConnectionId, d.OriginalDestinationConnectionId);
        Assert.Equal(tp.MaxIdleTimeoutMs, d.MaxIdleTimeoutMs);
        Assert.Equal(tp.StatelessResetToken, d.StatelessResetToken);
        Assert.Equal(tp.MaxUdpPayloadSize, d.MaxUdpPayloadSize);
        Assert.Equal(tp.InitialMaxData, d.InitialMaxData);
        Assert.Equal(tp.InitialMaxStreamDataBidiLocal, d.InitialMaxStreamDataBidiLocal);
        Assert.Equal(tp.InitialMaxStreamDataBidiRemote, d.InitialMaxStreamDataBidiRemote);
        Assert.Equal(tp.InitialMaxStreamDataUni, d.InitialMaxStreamDataUni);
        Assert.Equal(tp.InitialMaxStreamsBidi, d.InitialMaxStreamsBidi);
        Assert.Equal(tp.InitialMaxStreamsUni, d.InitialMaxStreamsUni);
        Assert.Equal(tp.AckDelayExponent, d.AckDelayExponent);
        Assert.Equal(tp.MaxAckDelayMs, d.MaxAckDelayMs);
        Assert.True(d.DisableActiveMigration);
        Assert.NotNull(d.PreferredAddress);
        Assert.Equal(tp.PreferredAddress!.IPv4, d.PreferredAddress!.IPv4);
        Assert.Equal(tp.PreferredAddress.IPv6, d.PreferredAddress.IPv6);
        Assert.Equal(tp.PreferredAddress.ConnectionId, d.PreferredAddress.ConnectionId);
        Assert.Equal(tp.PreferredAddress.StatelessResetToken, d.PreferredAddress.StatelessResetToken);
        Assert.Equal(tp.ActiveConnectionIdLimit, d.ActiveConnectionIdLimit);
        Assert.Equal(tp.InitialSourceConnectionId, d.InitialSourceConnectionId);
        Assert.Equal(tp.RetrySourceConnectionId, d.RetrySourceConnectionId);
        Assert.Equal(tp.VersionInformation!.ChosenVersion, d.VersionInformation!.ChosenVersion);
        Assert.Equal(tp.VersionInformation.AvailableVersions, d.VersionInformation.AvailableVersions);
        Assert.Equal(tp.MaxDatagramFrameSize, d.MaxDatagramFrameSize);
        var u = Assert.Single(d.Unknown);
        Assert.Equal(0x7777UL, u.Id);
        Assert.Equal(new byte[] { 1, 2, 3 }, u.Value);
        Assert.Equal(enc, d.Encode());
    }

    [Fact]
    public void DefaultsWhenAbsent()
    {
        var d = TransportParameters.Decode([], sentByServer: false);
        Assert.Equal(65527UL, d.MaxUdpPayloadSize);
        Assert.Equal(3UL, d.AckDelayExponent);
        Assert.Equal(25UL, d.MaxAckDelayMs);
        Assert.Equal(2UL, d.ActiveConnectionIdLimit);
        Assert.Equal(0UL, d.MaxIdleTimeoutMs);
        Assert.Null(d.MaxDatagramFrameSize);
        Assert.Null(d.InitialSourceConnectionId);
        Assert.Empty(new TransportParameters().Encode());
    }

    [Fact]
    public void KnownEncoding()
    {
        var tp = new TransportParameters { MaxIdleTimeoutMs = 10_000, InitialSourceConnectionId = new ConnectionId([0xAB]) };
        // 01 02 6710 (10000 as a 2-byte varint), 0f 01 ab.
        Assert.Equal("01026710" + "0f01ab", Convert.ToHexString(tp.Encode()).ToLowerInvariant());
    }

    [Fact]
    public void ReservedIdsAreIgnored()
    {
        // 27 = 31*0+27, 58 = 31*1+27 (2-byte varint 0x403a).
        var d = TransportParameters.Decode(Convert.FromHexString("1b02aaaa403a00"), sentByServer: false);
        Assert.Empty(d.Unknown);
    }

    [Theory]
    [InlineData("0100" + "0100")]                 // duplicate max_idle_timeout
    [InlineData("0302" + "44af")]                 // max_udp_payload_size 1199
    [InlineData("0a01" + "15")]                   // ack_delay_exponent 21
    [InlineData("0b02" + "8000")]                 // truncated varint inside
    [InlineData("0b04" + "80004000")]             // max_ack_delay 2^14
    [InlineData("0e01" + "01")]                   // active_connection_id_limit 1
    [InlineData("0808" + "d000000000000001")]     // initial_max_streams_bidi > 2^60
    [InlineData("0908" + "d000000000000001")]     // initial_max_streams_uni > 2^60
    [InlineData("0c01" + "00")]                   // disable_active_migration with a value
    [InlineData("0102" + "0500")]                 // integer not filling the value
    [InlineData("0f15" + "000102030405060708090a0b0c0d0e0f1011121314")] // CID 21 bytes
    [InlineData("1100")]                          // empty version_information
    [InlineData("1105" + "0000000101")]           // length not a multiple of 4
    [InlineData("1104" + "00000000")]             // chosen version zero
    [InlineData("0105")]                          // length beyond the data
    public void InvalidParametersAreRejected(string hex)
    {
        var ex = Assert.Throws<QuicProtocolException>(() => TransportParameters.Decode(Convert.FromHexString(hex), sentByServer: true));
        Assert.Equal(TransportErrorCode.TransportParameterError, ex.ErrorCode);
    }

    [Theory]
    [InlineData("0000")]                                          // original_destination_connection_id
    [InlineData("0210" + "00112233445566778899aabbccddeeff")]     // stateless_reset_token
    [InlineData("1000")]                                          // retry_source_connection_id
    public void ServerOnlyParametersFromClientAreRejected(string hex)
    {
        byte[] b = Convert.FromHexString(hex);
        TransportParameters.Decode(b, sentByServer: true);
        var ex = Assert.Throws<QuicProtocolException>(() => TransportParameters.Decode(b, sentByServer: false));
        Assert.Equal(TransportErrorCode.TransportParameterError, ex.ErrorCode);
    }

    [Fact]
    public void PreferredAddressFromClientAndEmptyCidAreRejected()
    {
        var tp = new TransportParameters { PreferredAddress = Full().PreferredAddress };
        byte[] enc = tp.Encode();
        Assert.Throws<QuicProtocolException>(() => TransportParameters.Decode(enc, sentByServer: false));
        // Patch the CID length to 0 (after id, len, 4+2+16+2 address bytes): now also a bad length overall.
        enc[2 + 24] = 0;
        var ex = Assert.Throws<QuicProtocolException>(() => TransportParameters.Decode(enc, sentByServer: true));
        Assert.Equal(TransportErrorCode.TransportParameterError, ex.ErrorCode);
    }

    [Fact]
    public void FuzzedParametersOnlyThrowTransportParameterError()
    {
        var tp = Full();
        tp.Unknown.Add((0x4242, [1, 2, 3, 4]));
        byte[] enc = tp.Encode();
        var rng = new Random(424242);
        var work = new byte[enc.Length];
        for (int i = 0; i < 20_000; i++)
        {
            enc.CopyTo(work, 0);
            int len = enc.Length;
            for (int m = rng.Next(1, 5); m > 0 && len > 0; m--)
            {
                switch (rng.Next(3))
                {
                    case 0: work[rng.Next(len)] = (byte)rng.Next(256); break;
                    case 1: work[rng.Next(len)] ^= (byte)(1 << rng.Next(8)); break;
                    default: len = rng.Next(len + 1); break;
                }
            }
            try { TransportParameters.Decode(work.AsSpan(0, len), rng.Next(2) == 0); }
            catch (QuicProtocolException e) { Assert.Equal(TransportErrorCode.TransportParameterError, e.ErrorCode); }
        }
    }
}
