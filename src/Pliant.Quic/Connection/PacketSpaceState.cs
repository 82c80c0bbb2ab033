using Pliant.Quic.Crypto;
using Pliant.Quic.Recovery;
using Pliant.Quic.Streams;

namespace Pliant.Quic.Connection;

/// <summary>
/// Per encryption-level state of a connection (RFC 9000 §12.3): keys, the CRYPTO stream of the level, PTO
/// probes, and the packet numbers the level's packets use. The application space carries both 0-RTT and
/// 1-RTT packets; its packet numbers are those of the path it sends on (path 0's without multipath).
/// </summary>
internal sealed class PacketSpaceState
{
    /// <summary>A space with its own packet numbers (Initial, Handshake) or, given <paramref name="numbers"/>, a path's.</summary>
    public PacketSpaceState(PacketSpace space, PacketNumberSpace? numbers = null)
    {
        Space = space;
        Numbers = numbers ?? new PacketNumberSpace(space);
    }

    public PacketSpace Space { get; }

    public PacketKeys? SendKeys;
    public PacketKeys? ReceiveKeys;

    /// <summary>The packet numbers sent and received at this level (for Application: path 0's space).</summary>
    public readonly PacketNumberSpace Numbers;

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
