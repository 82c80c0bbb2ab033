using System.Net;
using Pliant.Quic.Wire;
using Pliant.Router.Rules;

namespace Pliant.Router;

/// <summary>
/// What the router sees of each new connection's first flight, for diagnostics (<see cref="FirstFlightQlog"/>,
/// <c>pliant route --qlog</c>). Only flights whose Initial opened under its DCID's keys are reported (the router
/// keeps no state for the others, and neither does an observer); each reported flight ends with exactly one of
/// <see cref="Routed"/> or <see cref="Dropped"/>, unless the router stops first. Called on the router's thread,
/// under its lock: keep it short.
/// </summary>
public interface IFirstFlightObserver
{
    /// <summary>An Initial of the first flight of <paramref name="originalDcid"/> (the header of the datagram's first packet).</summary>
    void InitialReceived(ReadOnlySpan<byte> originalDcid, in PacketHeader header, int datagramLength, IPEndPoint client);

    /// <summary>The ClientHello was complete and <paramref name="rule"/> chose <paramref name="backend"/>.</summary>
    void Routed(ReadOnlySpan<byte> originalDcid, RouterBackend backend, RuleKind rule, string? serverName, IReadOnlyList<string> alpn);

    /// <summary>The flight was dropped (no backend, a bad or oversized ClientHello, evicted or timed out while pending).</summary>
    void Dropped(ReadOnlySpan<byte> originalDcid, DropReason reason);
}
