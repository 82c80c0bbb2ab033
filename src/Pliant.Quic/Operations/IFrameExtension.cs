namespace Pliant.Quic.Operations;

/// <summary>
/// A frame type defined outside the core (by a plugin): the connection calls it to process received
/// frames of <see cref="FrameType"/> and to write pending ones into 1-RTT packets, and reports each
/// written frame's fate (acknowledged or lost) so the extension can retransmit what matters.
/// </summary>
public interface IFrameExtension
{
    /// <summary>The frame type; must not be one the core implements.</summary>
    ulong FrameType { get; }

    /// <summary>Whether receiving this frame elicits an ACK.</summary>
    bool IsAckEliciting { get; }

    /// <summary>
    /// Parses and processes one frame; <paramref name="afterType"/> starts after the type varint and runs
    /// to the end of the packet. Returns the bytes consumed; throws <see cref="QuicProtocolException"/>
    /// (FRAME_ENCODING_ERROR) if the frame is malformed.
    /// </summary>
    int Process(ReadOnlySpan<byte> afterType, long nowUs);

    /// <summary>True when frames wait to be sent.</summary>
    bool HasPending { get; }

    /// <summary>Writes one frame (type included) into <paramref name="destination"/>; 0 when none fits.</summary>
    int Write(Span<byte> destination, out ulong token);

    /// <summary>The frame written with <paramref name="token"/> was acknowledged.</summary>
    void OnAcked(ulong token);

    /// <summary>The frame written with <paramref name="token"/> was declared lost.</summary>
    void OnLost(ulong token);
}
