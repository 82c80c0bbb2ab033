using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Faults;

/// <summary>
/// The (client, server) pairs every fault case runs: Pliant against ngtcp2 both ways, Pliant with itself,
/// and ngtcp2 with itself as the control (a case that fails there too is the peer's or the case's problem,
/// not Pliant's; docs/interop.md records any such).
/// </summary>
public static class FaultPairs
{
    public static TheoryData<Peer, Peer> All => new()
    {
        { Peer.Pliant, Peer.Ngtcp2 },
        { Peer.Ngtcp2, Peer.Pliant },
        { Peer.Pliant, Peer.Pliant },
        { Peer.Ngtcp2, Peer.Ngtcp2 },
    };
}
