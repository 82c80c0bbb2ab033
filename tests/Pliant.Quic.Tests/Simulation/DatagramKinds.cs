using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Simulation;

/// <summary>Reads the packet types coalesced in a simulated datagram (headers only), for drop filters and assertions.</summary>
public static class DatagramKinds
{
    /// <summary>The packet types in <paramref name="datagram"/>, in order (short headers assume 8-byte connection IDs, as the simulator's endpoints use).</summary>
    public static List<PacketType> Of(byte[] datagram)
    {
        var kinds = new List<PacketType>();
        var rest = datagram.AsSpan();
        while (!rest.IsEmpty && PacketHeader.TryParse(rest, 8, out var h) && h.PacketLength > 0)
        {
            kinds.Add(h.IsLongHeader ? h.Type : PacketType.OneRtt);
            rest = rest[Math.Min(h.PacketLength, rest.Length)..];
        }
        return kinds;
    }
}
