using Pliant.Net.Internal;
using Pliant.Quic;
using Pliant.Quic.Connection;

namespace Pliant.Net.Tests;

public class CloseErrorsTests
{
    [Fact]
    public void PeerApplicationClose_IsConnectionAbortedWithCode()
    {
        var ex = CloseErrors.FromClosedEvent(new ConnectionEvent(ConnectionEventKind.Closed, ErrorCode: 123, IsApplicationError: true));
        Assert.Equal(QuicError.ConnectionAborted, ex.QuicError);
        Assert.Equal(123, ex.ApplicationErrorCode);
    }

    [Fact]
    public void LocalApplicationClose_IsOperationAborted()
    {
        var ex = CloseErrors.FromClosedEvent(new ConnectionEvent(ConnectionEventKind.Closed, IsApplicationError: true, IsLocal: true));
        Assert.Equal(QuicError.OperationAborted, ex.QuicError);
    }

    [Fact]
    public void ConnectionRefused_IsMapped()
    {
        var ex = CloseErrors.FromClosedEvent(new ConnectionEvent(ConnectionEventKind.Closed, ErrorCode: (ulong)TransportErrorCode.ConnectionRefused));
        Assert.Equal(QuicError.ConnectionRefused, ex.QuicError);
    }

    [Fact]
    public void IdleTimeout_IsConnectionIdle()
    {
        var ex = CloseErrors.FromClosedEvent(new ConnectionEvent(ConnectionEventKind.Closed, Reason: "idle timeout", IsLocal: true));
        Assert.Equal(QuicError.ConnectionIdle, ex.QuicError);
    }

    [Fact]
    public void TransportError_CarriesTheCode()
    {
        var ex = CloseErrors.FromClosedEvent(new ConnectionEvent(ConnectionEventKind.Closed, ErrorCode: 0x12a));
        Assert.Equal(QuicError.TransportError, ex.QuicError);
        Assert.Equal((TransportErrorCode)0x12a, ex.TransportErrorCode);
        Assert.IsAssignableFrom<IOException>(ex);
    }
}
