using Pliant.Quic.Connection;

namespace Pliant.Quic.Tests.Hostile;

/// <summary>
/// Frame types on the receive path (RFC 9000 §12.4): the type is read with the checked reader — a longer
/// encoding than necessary is a PROTOCOL_VIOLATION — and an unknown type is a FRAME_ENCODING_ERROR. Memory and
/// time: one varint read per frame, no state.
/// </summary>
public class FrameTypeEncodingTests
{
    [Theory]
    [InlineData(new byte[] { 0x40, 0x01 }, (ulong)TransportErrorCode.ProtocolViolation)]              // PING in two bytes
    [InlineData(new byte[] { 0x80, 0x00, 0x00, 0x01 }, (ulong)TransportErrorCode.ProtocolViolation)]  // PING in four
    [InlineData(new byte[] { 0x40, 0x00 }, (ulong)TransportErrorCode.ProtocolViolation)]              // PADDING in two
    [InlineData(new byte[] { 0x21 }, (ulong)TransportErrorCode.FrameEncodingError)]                   // unknown type
    [InlineData(new byte[] { 0x01, 0x40 }, (ulong)TransportErrorCode.FrameEncodingError)]             // truncated type after a PING
    public void AFrameTypeNotInItsShortestEncodingOrUnknownClosesTheConnection(byte[] frames, ulong expected)
    {
        var (pair, client, server) = HostileTraffic.Connected(71);
        HostileTraffic.Inject(pair, client, frames);
        Assert.True(pair.RunUntil(() => server.CloseInfo is not null, 5_000_000));
        Assert.Equal(expected, HostileTraffic.CloseCode(server));
    }

    [Fact]
    public void MinimallyEncodedFramesAreAccepted()
    {
        var (pair, client, server) = HostileTraffic.Connected(72);
        HostileTraffic.Inject(pair, client, [0x01, 0x00, 0x00, 0x01]); // PING, PADDING, PADDING, PING
        pair.RunFor(100_000);
        Assert.Null(server.CloseInfo);
        Assert.True(server.IsConnected);
    }
}
