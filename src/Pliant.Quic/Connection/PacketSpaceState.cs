using Pliant.Quic.Crypto;
using Pliant.Quic.Recovery;
using Pliant.Quic.Streams;

namespace Pliant.Quic.Connection;

/// <summary>
/// Per packet-number-space state of a connection (RFC 9000 §12.3): keys, next packet number,
/// received-packet tracking for ACKs, and the CRYPTO stream of the matching encryption level.
/// The application space carries both 0-RTT and 1-RTT packets.
/// </summary>
internal sealed class PacketSpaceState
{
    public PacketSpaceState(PacketSpace space)
    {
        Space = space;
        Acks = new AckTracker(space);
    }

    public PacketSpace Space { get; }

    public PacketKeys? SendKeys;
    public PacketKeys? ReceiveKeys;

    /// <summary>Next packet number to send (RFC 9000 §12.3: starts at 0, never reused).</summary>
    public ulong NextPacketNumber;

    /// <summary>Largest packet number received and successfully decrypted, for PN decoding.</summary>
    public ulong? LargestReceived;

    public readonly AckTracker Acks;

    /// <summary>Outgoing CRYPTO data at this level.</summary>
    public readonly SendBuffer CryptoSend = new(int.MaxValue);

    /// <summary>Incoming CRYPTO data at this level, reassembled.</summary>
    public readonly ReceiveBuffer CryptoReceive = new(ReassemblyLimit.ForCrypto());

    /// <summary>Keys discarded (RFC 9001 §4.9): nothing more is sent or accepted here.</summary>
    public bool Discarded;

    /// <summary>PTO probes to send in this space (RFC 9002 §6.2.4).</summary>
    public int ProbesPending;

    public bool CanSend => !Discarded && SendKeys is not null;

    public void Discard()
    {
        Discarded = true;
        SendKeys = null;
        ReceiveKeys = null;
        ProbesPending = 0;
        ReleaseBuffers();
    }

    /// <summary>
    /// Gives the CRYPTO buffers' chunks back to the pool (the space was discarded or the connection closed): a
    /// 16 KiB chunk each that would otherwise go to the garbage collector with the connection (issue 17).
    /// </summary>
    public void ReleaseBuffers()
    {
        CryptoSend.Dispose();
        CryptoReceive.Dispose();
    }
}
