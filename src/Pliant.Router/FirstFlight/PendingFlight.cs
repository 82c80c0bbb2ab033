using System.Net;
using Pliant.Quic.Connection;

namespace Pliant.Router.FirstFlight;

/// <summary>A datagram the router holds, or hands back to the host to forward (see <see cref="QuicRouter.TryTakeReleased"/>).</summary>
public readonly record struct HeldDatagram(byte[] Data, IPEndPoint Client, EcnCodepoint Ecn, RouterBackend Backend);

/// <summary>
/// A first flight whose ClientHello is not complete yet: the client's datagrams (copies) in arrival order and
/// the CRYPTO reassembly. Bounded by <see cref="RouterLimits.MaxHeldDatagramsPerFlight"/> datagrams and
/// <see cref="RouterLimits.MaxClientHelloBytes"/> of reassembly.
/// </summary>
internal sealed class PendingFlight(uint version, int maxHelloBytes, long createdUs)
{
    public uint Version { get; } = version;

    public long CreatedUs { get; } = createdUs;

    public HelloAssembly Assembly { get; } = new(maxHelloBytes);

    public List<(byte[] Data, IPEndPoint Client, EcnCodepoint Ecn)> Held { get; } = [];

    /// <summary>Bytes this flight accounts for in the pending budget.</summary>
    public int Bytes { get; set; }
}
