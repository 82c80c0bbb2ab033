using System.Net;

namespace Pliant.Quic.Wire;

/// <summary>
/// The server's preferred_address transport parameter (RFC 9000 §18.2, §9.6). An address family the
/// server does not offer is all zeros (0.0.0.0:0 or [::]:0).
/// </summary>
/// <param name="IPv4">IPv4 address and port.</param>
/// <param name="IPv6">IPv6 address and port.</param>
/// <param name="ConnectionId">Connection ID to use at that address (1–20 bytes), sequence number 1.</param>
/// <param name="StatelessResetToken">16-byte stateless reset token for <paramref name="ConnectionId"/>.</param>
public sealed record PreferredAddress(IPEndPoint IPv4, IPEndPoint IPv6, ConnectionId ConnectionId, byte[] StatelessResetToken);

/// <summary>The version_information transport parameter (RFC 9368 §5).</summary>
/// <param name="ChosenVersion">The version in use for the connection.</param>
/// <param name="AvailableVersions">Versions the sender supports (or would accept), in preference order.</param>
public sealed record VersionInformation(uint ChosenVersion, uint[] AvailableVersions);
