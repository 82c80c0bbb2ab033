using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Wire;

/// <summary>initial_max_path_id (draft-ietf-quic-multipath-21 §2.1) in the transport parameter codec.</summary>
public class MultipathTransportParameterTests
{
    [Theory]
    [InlineData(0u, "3e0100")]
    [InlineData(1u, "3e0101")]
    [InlineData(63u, "3e013f")]
    [InlineData(64u, "3e024040")]
    [InlineData(uint.MaxValue, "3e08c0000000ffffffff")]
    public void EncodesAndDecodes(uint value, string hex)
    {
        var tp = new TransportParameters { InitialMaxPathId = value };
        Assert.Equal(hex, Convert.ToHexStringLower(tp.Encode()));
        foreach (bool server in new[] { false, true })
        {
            var d = TransportParameters.Decode(Convert.FromHexString(hex), server);
            Assert.Equal(value, d.InitialMaxPathId);
            Assert.Empty(d.Unknown);
            Assert.Equal(hex, Convert.ToHexStringLower(d.Encode()));
        }
    }

    [Fact]
    public void AbsentMeansMultipathNotSupported()
    {
        Assert.Null(TransportParameters.Decode([], sentByServer: true).InitialMaxPathId);
        Assert.Null(TransportParameters.Decode(Convert.FromHexString("0e0104"), sentByServer: false).InitialMaxPathId);
        Assert.Empty(new TransportParameters().Encode());
    }

    [Theory]
    [InlineData("3e08" + "c000000100000000")]  // 2^32: above the maximum path ID
    [InlineData("3e08" + "ffffffffffffffff")]  // 2^62-1
    [InlineData("3e00")]                       // empty value
    [InlineData("3e02" + "0100")]              // integer not filling the value
    [InlineData("3e04" + "8000")]              // length beyond the data
    [InlineData("3e02" + "8000")]              // truncated varint inside the value
    [InlineData("3e0101" + "3e0101")]          // repeated
    [InlineData("3e0101" + "0e0104" + "3e0102")] // repeated, not adjacent
    public void InvalidValuesAreTransportParameterErrors(string hex)
    {
        foreach (bool server in new[] { false, true })
        {
            var ex = Assert.Throws<QuicProtocolException>(() => TransportParameters.Decode(Convert.FromHexString(hex), server));
            Assert.Equal(TransportErrorCode.TransportParameterError, ex.ErrorCode);
        }
    }

    [Fact]
    public void NegotiatedOnlyWhenBothSidesSendIt()
    {
        var with = new TransportParameters { InitialMaxPathId = 0 };
        var without = new TransportParameters();
        Assert.True(MultipathParameters.IsNegotiated(with, with));
        Assert.False(MultipathParameters.IsNegotiated(with, without));
        Assert.False(MultipathParameters.IsNegotiated(without, with));
        Assert.False(MultipathParameters.IsNegotiated(without, without));
    }

    [Fact]
    public void ZeroLengthConnectionIdWithTheParameterIsProtocolViolation()
    {
        var peer = new TransportParameters { InitialMaxPathId = 2 };
        MultipathParameters.CheckConnectionIdLengths(peer, 8, 8);
        foreach ((int dcid, int scid) in new[] { (0, 8), (8, 0), (0, 0) })
        {
            var ex = Assert.Throws<QuicProtocolException>(() => MultipathParameters.CheckConnectionIdLengths(peer, dcid, scid));
            Assert.Equal(TransportErrorCode.ProtocolViolation, ex.ErrorCode);
        }
        // Without the parameter zero-length connection IDs are fine (RFC 9000 §5.1).
        MultipathParameters.CheckConnectionIdLengths(new TransportParameters(), 0, 0);
    }

    [Fact]
    public void ShortAeadNonceWithMultipathIsTransportParameterError()
    {
        var with = new TransportParameters { InitialMaxPathId = 1 };
        MultipathParameters.CheckNonceLength(with, with, 12);
        MultipathParameters.CheckNonceLength(with, new TransportParameters(), 8);
        var ex = Assert.Throws<QuicProtocolException>(() => MultipathParameters.CheckNonceLength(with, with, 8));
        Assert.Equal(TransportErrorCode.TransportParameterError, ex.ErrorCode);
    }
}
