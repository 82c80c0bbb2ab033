namespace Pliant.Router.QuicLb;

/// <summary>
/// How a Pliant server lays out its QUIC-LB server ID (docs/routing.md, "Server ID layout"): the bytes a
/// load balancer routes on (the <em>host prefix</em>, assigned per machine or backend in the load balancer's
/// configuration) followed by bytes the server fills itself so that several processes and UDP drivers behind
/// one address can steer a connection's datagrams to the right one:
/// <code>
/// Server ID (server_id_length bytes) {
///   Host Prefix (p bytes, p ≥ 1),
///   [Zero (server_id_length - p - 2 bytes)],
///   [Generation (8)],     // present when server_id_length - p ≥ 2: the process generation (restarts)
///   [Driver Index (8)],   // present when server_id_length - p ≥ 1: which UDP driver of the process
/// }
/// </code>
/// A load balancer maps host prefixes to backends (longest prefix wins) and treats the rest as nonce, as
/// the draft's load-balancer chains do (§7.1); the encodings allow it because the Feistel and single-pass
/// algorithms depend only on the total length. In-host steering by generation and driver index without a key
/// (classic BPF cannot run AES) needs the plaintext algorithm for those bytes to be visible: with a key, the
/// process that receives a datagram decodes the server ID and hands it to the right driver.
/// </summary>
public static class ServerIdLayout
{
    /// <summary>Largest generation and driver index (one byte each).</summary>
    public const int MaxLocalValue = 255;

    /// <summary>Bytes after the host prefix the server fills: 0, 1 (driver index) or 2+ (generation and driver index, zero-padded before them).</summary>
    public static int LocalBytes(int serverIdLength, int hostPrefixLength) => serverIdLength - hostPrefixLength;

    /// <summary>
    /// The full server ID for <paramref name="hostPrefix"/>, process <paramref name="generation"/> and UDP driver
    /// <paramref name="driverIndex"/>. Throws <see cref="ArgumentException"/> when a value does not fit: a prefix
    /// longer than the server ID, or a non-zero generation / driver index without room for it.
    /// </summary>
    public static byte[] Compose(ReadOnlySpan<byte> hostPrefix, int serverIdLength, int generation = 0, int driverIndex = 0)
    {
        if (hostPrefix.IsEmpty) throw new ArgumentException("the host prefix is at least one byte", nameof(hostPrefix));
        if (hostPrefix.Length > serverIdLength) throw new ArgumentException($"the host prefix is longer than the {serverIdLength}-byte server ID", nameof(hostPrefix));
        if (generation is < 0 or > MaxLocalValue) throw new ArgumentException("the generation is 0 to 255", nameof(generation));
        if (driverIndex is < 0 or > MaxLocalValue) throw new ArgumentException("the driver index is 0 to 255", nameof(driverIndex));
        int local = LocalBytes(serverIdLength, hostPrefix.Length);
        if (local < 1 && driverIndex != 0) throw new ArgumentException("no server ID byte left for the driver index", nameof(driverIndex));
        if (local < 2 && generation != 0) throw new ArgumentException("no server ID byte left for the generation", nameof(generation));
        var id = new byte[serverIdLength];
        hostPrefix.CopyTo(id);
        if (local >= 1) id[^1] = (byte)driverIndex;
        if (local >= 2) id[^2] = (byte)generation;
        return id;
    }

    /// <summary>Reads (generation, driver index) back from a server ID whose host prefix is <paramref name="hostPrefixLength"/> bytes.</summary>
    public static (int Generation, int DriverIndex) Decompose(ReadOnlySpan<byte> serverId, int hostPrefixLength)
    {
        int local = LocalBytes(serverId.Length, hostPrefixLength);
        if (local < 0) throw new ArgumentException("the host prefix is longer than the server ID", nameof(hostPrefixLength));
        return (local >= 2 ? serverId[^2] : 0, local >= 1 ? serverId[^1] : 0);
    }
}
