using System.Net;
using Pliant.Quic.Connection;

namespace Pliant.Net.Udp;

/// <summary>
/// A bound UDP socket as the driver sees it: batched send (GSO when available) and batched
/// receive (GRO when available) with ECN. One thread receives, any thread may send (sends are
/// serialised by the driver's lock).
/// </summary>
internal interface IUdpTransport : IDisposable
{
    /// <summary>The address the socket is bound to (port resolved).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>True while sends of several segments go out in one syscall (UDP_SEGMENT).</summary>
    bool GsoEnabled { get; }

    /// <summary>Largest number of segments one <see cref="Send"/> should carry (1 without GSO).</summary>
    int MaxSegments { get; }

    /// <summary>Counters for datagrams and syscalls ("packets per syscall").</summary>
    UdpCounters Counters { get; }

    /// <summary>
    /// Sends <paramref name="data"/> to <paramref name="destination"/>. When
    /// <paramref name="segmentSize"/> is positive and smaller than the data, the data is a batch of
    /// datagrams of that size (the last may be shorter). Transient errors (no buffer space, ICMP
    /// errors) drop the datagram: QUIC recovers from loss.
    /// </summary>
    void Send(ReadOnlySpan<byte> data, IPEndPoint destination, int segmentSize, EcnCodepoint ecn);

    /// <summary>Creates a batch sized for this socket (GRO needs 64 KiB slots).</summary>
    UdpReceiveBatch CreateReceiveBatch();

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for datagrams and fills <paramref name="batch"/>
    /// (0: only what is queued now, without waiting). Returns the number of entries filled; 0 on
    /// timeout, when nothing is queued, or once the socket is closed.
    /// </summary>
    int ReceiveBatch(UdpReceiveBatch batch, int timeoutMs);

    /// <summary>
    /// Blocks until a datagram can be received, <see cref="Interrupt"/> is called, or
    /// <paramref name="timeoutUs"/> microseconds pass (negative: no limit) — whichever comes first.
    /// The driver's one thread waits here between passes; it never spins.
    /// </summary>
    void Wait(long timeoutUs);

    /// <summary>Makes the current (or the next) <see cref="Wait"/> return at once. Any thread.</summary>
    void Interrupt();
}
