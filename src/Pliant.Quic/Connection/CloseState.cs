using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>
/// How a connection ends (RFC 9000 §10): the CONNECTION_CLOSE it sends while closing, how often it resends it,
/// and whether it is draining. One owned object instead of loose fields of the core (issue 12: the core
/// restructured around owned state); when the period ends is the core's <see cref="ConnectionTimer.Close"/>.
/// </summary>
internal sealed class CloseState
{
    private ulong _errorCode;
    private ulong _frameType;
    private string _reason = "";
    private bool _isApplication;
    private int _datagramsWhileClosing;

    /// <summary>A CONNECTION_CLOSE is due (the first one, or a rate-limited answer to the peer's packets).</summary>
    public bool ResendDue { get; private set; }

    /// <summary>True once the close was reported (the first reason wins).</summary>
    public bool Reported { get; private set; }

    /// <summary>Records the first reason the connection ends; false when one was already recorded.</summary>
    public bool TryReport()
    {
        if (Reported) return false;
        Reported = true;
        return true;
    }

    /// <summary>
    /// Enters the closing state (RFC 9000 §10.2.1): <paramref name="code"/> and <paramref name="reason"/> go in
    /// every CONNECTION_CLOSE sent from now on; the first is due at once.
    /// </summary>
    public void BeginClosing(ulong code, string reason, bool isApplication, ulong frameType)
    {
        _errorCode = code;
        _reason = reason;
        _isApplication = isApplication;
        _frameType = frameType;
        ResendDue = true;
    }

    /// <summary>Enters the draining state (RFC 9000 §10.2.2): nothing more is sent.</summary>
    public void BeginDraining() => ResendDue = false;

    /// <summary>
    /// RFC 9000 §10.2.1: in the closing state a packet is answered with CONNECTION_CLOSE at a limited rate —
    /// here the 1st, 2nd, 4th, 8th, … datagram — and only on the current path (datagrams from any other
    /// address are not answered at all).
    /// </summary>
    public void NoteDatagram(bool currentPath)
    {
        if (!currentPath) return;
        _datagramsWhileClosing++;
        if ((_datagramsWhileClosing & (_datagramsWhileClosing - 1)) == 0) ResendDue = true;
    }

    /// <summary>Takes the due CONNECTION_CLOSE; false when none is due.</summary>
    public bool TakeResend()
    {
        if (!ResendDue) return false;
        ResendDue = false;
        return true;
    }

    /// <summary>
    /// The CONNECTION_CLOSE for a packet of <paramref name="type"/>. RFC 9000 §10.2.3: an application close in an
    /// Initial or Handshake packet (before the handshake is confirmed) is sent as a transport close with
    /// APPLICATION_ERROR and no reason, which could otherwise leak to an on-path observer.
    /// </summary>
    public ConnectionCloseFrame FrameFor(PacketType type, Span<byte> reasonBuffer)
    {
        bool app = _isApplication && type == PacketType.OneRtt;
        ulong code = _isApplication && !app ? (ulong)TransportErrorCode.ApplicationError : _errorCode;
        string reason = _isApplication && !app ? "" : _reason;
        int reasonLength = EncodeReason(reason, reasonBuffer);
        return new ConnectionCloseFrame(app, code, app ? 0 : _frameType, reasonBuffer[..reasonLength]);
    }

    /// <summary>The reason phrase as sent: at most 80 characters of it, UTF-8.</summary>
    internal static int EncodeReason(string reason, Span<byte> dest)
    {
        string r = reason.Length > 80 ? reason[..80] : reason;
        return System.Text.Encoding.UTF8.GetBytes(r, dest);
    }
}
