using Pliant.Quic.Connection;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Connections;

/// <summary>A connection's connection IDs on their own (<see cref="ConnectionIdState"/>, RFC 9000 §5.1, §19.15–16).</summary>
public class ConnectionIdStateTests
{
    private static ConnectionIdState State(int ourLimit = 4) =>
        new(owner: null!, registry: null, RandomSource.Seeded(new Random(5)), idLength: 8, ourActiveLimit: ourLimit);

    private static ConnectionId Id(byte b) => new([b, b, b, b, b, b, b, b]);

    private static byte[] Token(byte b) => Enumerable.Repeat(b, 16).ToArray();

    [Fact]
    public void RetirePriorToMovesOffTheCurrentIdAndOwesItsRetirement()
    {
        var cids = State();
        cids.StartPeer(Id(1));
        cids.OnNewConnectionId(new NewConnectionIdFrame(1, 0, Id(2), Token(2)));
        cids.OnNewConnectionId(new NewConnectionIdFrame(2, 2, Id(3), Token(3))); // retire everything below 2
        Assert.Equal(Id(3), cids.Current);
        Assert.True(cids.HasPendingFrames);
        var frames = new List<SentFrame>();
        Assert.True(cids.WriteFrames(new byte[100], frames) > 0);
        Assert.Equal([0UL, 1UL], frames.Select(f => f.Value).Order());
        Assert.False(cids.HasPendingFrames);
        cids.OnRetireLost(1); // lost: owed again
        Assert.True(cids.HasPendingFrames);
    }

    [Fact]
    public void ALateCopyOfARetiredIdIsIgnored_AndAReusedSequenceNumberIsAViolation()
    {
        var cids = State();
        cids.StartPeer(Id(1));
        cids.OnNewConnectionId(new NewConnectionIdFrame(1, 0, Id(2), Token(2)));
        Assert.True(cids.SwitchToNext()); // retires sequence 0
        cids.OnNewConnectionId(new NewConnectionIdFrame(1, 0, Id(2), Token(2))); // a repeat: fine
        var ex = Assert.Throws<QuicProtocolException>(() => cids.OnNewConnectionId(new NewConnectionIdFrame(1, 0, Id(9), Token(9))));
        Assert.Equal(TransportErrorCode.ProtocolViolation, ex.ErrorCode);
        Assert.True(cids.IsStatelessReset([.. new byte[20], .. Token(2)]));
        Assert.False(cids.IsStatelessReset([.. new byte[20], .. Token(7)]));
    }

    [Fact]
    public void APeerThatMakesUsOweTooManyRetirementsIsClosed()
    {
        // Hostile: NEW_CONNECTION_ID frames below Retire Prior To, over and over. Bound: twice our limit owed.
        var cids = State(ourLimit: 2);
        cids.StartPeer(Id(1));
        cids.OnNewConnectionId(new NewConnectionIdFrame(10, 10, Id(10), Token(10)));
        var ex = Assert.Throws<QuicProtocolException>(() =>
        {
            for (ulong s = 1; s < 10; s++) cids.OnNewConnectionId(new NewConnectionIdFrame(s, 0, Id((byte)(20 + s)), Token(1)));
        });
        Assert.Equal(TransportErrorCode.ConnectionIdLimitError, ex.ErrorCode);
    }
}
