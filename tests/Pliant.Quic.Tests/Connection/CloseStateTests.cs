using Pliant.Quic.Connection;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Connections;

/// <summary>The closing state on its own (<see cref="CloseState"/>, RFC 9000 §10.2).</summary>
public class CloseStateTests
{
    [Fact]
    public void ClosingAnswersThe1st2nd4th8thDatagramOnTheCurrentPathOnly()
    {
        var close = new CloseState();
        close.BeginClosing(0x0a, "bye", isApplication: false, frameType: 0x08);
        Assert.True(close.TakeResend()); // the first CONNECTION_CLOSE
        Assert.False(close.TakeResend());
        var answered = new List<int>();
        for (int i = 1; i <= 20; i++)
        {
            close.NoteDatagram(currentPath: false); // another address: never answered (§10.2.1)
            close.NoteDatagram(currentPath: true);
            if (close.TakeResend()) answered.Add(i);
        }
        Assert.Equal([1, 2, 4, 8, 16], answered);
    }

    [Theory]
    [InlineData(PacketType.OneRtt, true, 7UL, "app reason")]
    [InlineData(PacketType.Handshake, false, 0x0cUL, "")] // §10.2.3: APPLICATION_ERROR, no reason
    [InlineData(PacketType.Initial, false, 0x0cUL, "")]
    public void AnApplicationCloseOutside1RttBecomesApplicationErrorWithoutItsReason(PacketType type, bool app, ulong code, string reason)
    {
        var close = new CloseState();
        close.BeginClosing(7, "app reason", isApplication: true, frameType: 0);
        var frame = close.FrameFor(type, new byte[256]);
        Assert.Equal(app, frame.IsApplication);
        Assert.Equal(code, frame.ErrorCode);
        Assert.Equal(reason, frame.ReasonString);
    }

    [Fact]
    public void TheFirstReasonIsTheOneReported_AndLongReasonsAreCut()
    {
        var close = new CloseState();
        Assert.True(close.TryReport());
        Assert.False(close.TryReport());
        close.BeginClosing(1, new string('x', 500), isApplication: false, frameType: 0x1e);
        var frame = close.FrameFor(PacketType.OneRtt, new byte[256]);
        Assert.Equal(80, frame.ReasonPhrase.Length);
        Assert.Equal(0x1eUL, frame.FrameType);
    }
}
