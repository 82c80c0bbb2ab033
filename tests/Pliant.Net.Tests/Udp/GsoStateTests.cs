using Pliant.Net.Udp.Linux;

namespace Pliant.Net.Tests.Udp;

public class GsoStateTests
{
    [Theory]
    [InlineData(LibC.EIO)]
    [InlineData(LibC.EINVAL)]
    public void HardErrors_DisableGso(int errno)
    {
        var gso = new GsoState(supported: true);
        Assert.True(gso.OnGsoSendError(errno));
        Assert.False(gso.Enabled);
    }

    [Theory]
    [InlineData(LibC.EAGAIN)]
    [InlineData(LibC.ENOBUFS)]
    public void TransientErrors_KeepGso(int errno)
    {
        var gso = new GsoState(supported: true);
        Assert.False(gso.OnGsoSendError(errno));
        Assert.True(gso.Enabled);
    }

    [Fact]
    public void Unsupported_StartsOff() => Assert.False(new GsoState(supported: false).Enabled);
}
