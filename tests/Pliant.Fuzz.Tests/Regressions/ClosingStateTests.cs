using Pliant.Fuzz.Quic;

namespace Pliant.Fuzz.Tests.Regressions;

/// <summary>
/// Found by the endpoint-initial target (fuzz/crashes/endpoint-initial/ae612eb6ee991968): a ClientHello
/// whose handshake header announces a 4 MB message fails TLS and puts the connection in the closing
/// state; the client's next Initial still had its CRYPTO frame processed, and TLS, already failed,
/// threw InvalidOperationException out of HandleDatagram. RFC 9000 §10.2.1: an endpoint in the closing
/// state processes no more packets.
/// </summary>
public class ClosingStateTests
{
    [Fact]
    public void CryptoAfterAFailedHandshakeIsNotProcessed()
    {
        byte[] tooLarge = ClientInitial.CryptoFrame(0, [0x01, 0x43, 0xed, 0xc5]); // ClientHello of 4,451,781 bytes
        byte[] more = ClientInitial.CryptoFrame(4, new byte[32]);
        var stats = EndpointInitialTarget.Probe(FuzzInput.Build((0, tooLarge), (0, more), (0x10, more)));
        Assert.Equal(1, stats.Accepted);
        Assert.True(stats.Transmits >= 1, "no CONNECTION_CLOSE");
    }

    [Fact]
    public void CommittedCrashInputRunsCleanly() =>
        new EndpointInitialTarget().Run(FuzzFiles.Crash("endpoint-initial", "ae612eb6ee991968"));
}
