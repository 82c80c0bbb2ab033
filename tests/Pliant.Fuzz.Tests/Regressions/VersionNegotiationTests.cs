using Pliant.Fuzz.Quic;

namespace Pliant.Fuzz.Tests.Regressions;

/// <summary>
/// Found by replaying the endpoint corpus against the admission rewrite (fuzz/crashes/endpoint/8c89d099816fd34b):
/// an Initial of an unknown version may carry connection IDs of up to 255 bytes (RFC 8999 §5.1), but
/// the Version Negotiation buffer was sized for 20-byte IDs, so writing the answer threw
/// ArgumentException out of HandleDatagram.
/// </summary>
public class VersionNegotiationTests
{
    [Theory]
    [InlineData(21, 0)]
    [InlineData(255, 255)]
    [InlineData(0, 200)]
    public void UnknownVersionWithLongConnectionIdsIsAnswered(int dcidLength, int scidLength)
    {
        var datagram = new byte[1200];
        datagram[0] = 0xc0;
        datagram[1] = 0x1a; datagram[2] = 0x2a; datagram[3] = 0x3a; datagram[4] = 0x4a; // a reserved version
        datagram[5] = (byte)dcidLength;
        datagram[6 + dcidLength] = (byte)scidLength;
        var stats = EndpointTarget.Probe(FuzzInput.Build((0, datagram)));
        Assert.Equal(1, stats.Transmits);
        Assert.Equal(7 + dcidLength + scidLength + 4 * 4, stats.BytesSent);
    }

    [Fact]
    public void CommittedCrashInputRunsCleanly() =>
        new EndpointTarget().Run(FuzzFiles.Crash("endpoint", "8c89d099816fd34b"));
}
