using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

public class StreamIdTests
{
    // RFC 9000 §2.1 Table 1.
    [Theory]
    [InlineData(0UL, true, true)]
    [InlineData(1UL, false, true)]
    [InlineData(2UL, true, false)]
    [InlineData(3UL, false, false)]
    [InlineData(4UL, true, true)]
    [InlineData(11UL, false, false)]
    public void TypeBits(ulong id, bool client, bool bidi)
    {
        Assert.Equal(client, StreamId.IsClientInitiated(id));
        Assert.Equal(!client, StreamId.IsServerInitiated(id));
        Assert.Equal(bidi, StreamId.IsBidirectional(id));
        Assert.Equal(!bidi, StreamId.IsUnidirectional(id));
        Assert.Equal(id, StreamId.Create(StreamId.Index(id), client, bidi));
    }

    [Fact]
    public void DirectionalityPerEndpoint()
    {
        // Client uni stream 2: client can send, server can receive.
        Assert.True(StreamId.CanSend(2, isClient: true));
        Assert.False(StreamId.CanReceive(2, isClient: true));
        Assert.False(StreamId.CanSend(2, isClient: false));
        Assert.True(StreamId.CanReceive(2, isClient: false));
        Assert.True(StreamId.IsLocal(3, isClient: false));
        Assert.Equal(2UL, StreamId.Index(9));
    }
}
