namespace Pliant.Router.QuicLb;

/// <summary>How a QUIC-LB configuration hides the server ID (draft-ietf-quic-load-balancers-21 §5.4).</summary>
public enum QuicLbAlgorithm
{
    /// <summary>No key: the server ID is readable by anyone (§5.4: "If there is no key ..., the Connection ID is complete").</summary>
    Plaintext,

    /// <summary>A key, and server ID + nonce are exactly 16 bytes: one AES-ECB block (§5.4.1).</summary>
    SinglePass,

    /// <summary>A key and any other length: a four-round Feistel network with AES-ECB as round function (§5.4.2).</summary>
    FourPass,
}

/// <summary>
/// One QUIC-LB configuration (draft-ietf-quic-load-balancers-21 §5.3, appendix A): the config rotation
/// codepoint, the lengths of the server ID and the nonce, and an optional 16-byte AES key. Immutable.
/// </summary>
public sealed class QuicLbConfiguration
{
    /// <summary>Codepoint 0b111 is reserved for unroutable connection IDs (§3.2).</summary>
    public const int UnroutableConfigId = 7;

    /// <summary>Creates a configuration; throws <see cref="ArgumentException"/> outside the draft's limits.</summary>
    /// <param name="configId">Config rotation bits, 0 to 6 (§3.1: 0b111 is reserved).</param>
    /// <param name="serverIdLength">Bytes of server ID, at least 1 (§5.3).</param>
    /// <param name="nonceLength">Bytes of nonce, at least 4; server ID + nonce at most 19 (§5.3).</param>
    /// <param name="key">16-byte AES-128 key, or null for the plaintext algorithm.</param>
    /// <param name="encodeLength">Write the length of the rest of the ID into the first octet's low 5 bits (§3.3); otherwise they are random.</param>
    public QuicLbConfiguration(int configId, int serverIdLength, int nonceLength, ReadOnlySpan<byte> key = default, bool encodeLength = true)
    {
        if (configId is < 0 or > 6) throw new ArgumentException("the config ID is 0 to 6 (0b111 is reserved for unroutable IDs)", nameof(configId));
        if (serverIdLength < 1) throw new ArgumentException("the server ID is at least 1 byte", nameof(serverIdLength));
        if (nonceLength < 4) throw new ArgumentException("the nonce is at least 4 bytes", nameof(nonceLength));
        if (serverIdLength + nonceLength > 19) throw new ArgumentException("server ID and nonce are at most 19 bytes together (20-byte connection IDs)", nameof(nonceLength));
        if (!key.IsEmpty && key.Length != 16) throw new ArgumentException("the key is 16 bytes (AES-128)", nameof(key));
        ConfigId = configId;
        ServerIdLength = serverIdLength;
        NonceLength = nonceLength;
        Key = key.IsEmpty ? null : key.ToArray();
        EncodeLength = encodeLength;
    }

    /// <summary>The config rotation bits (the first octet's three most significant bits).</summary>
    public int ConfigId { get; }

    /// <summary>Bytes of server ID.</summary>
    public int ServerIdLength { get; }

    /// <summary>Bytes of nonce.</summary>
    public int NonceLength { get; }

    /// <summary>The AES-128 key, or null (plaintext).</summary>
    public byte[]? Key { get; }

    /// <summary>True when the first octet carries the ID's length (§3.3).</summary>
    public bool EncodeLength { get; }

    /// <summary>Server ID + nonce: the part after the first octet.</summary>
    public int PlaintextLength => ServerIdLength + NonceLength;

    /// <summary>Length of every connection ID of this configuration: the first octet, server ID and nonce.</summary>
    public int ConnectionIdLength => 1 + PlaintextLength;

    /// <summary>Which of the three encodings applies.</summary>
    public QuicLbAlgorithm Algorithm => Key is null ? QuicLbAlgorithm.Plaintext
        : PlaintextLength == 16 ? QuicLbAlgorithm.SinglePass : QuicLbAlgorithm.FourPass;

    /// <summary>The config ID encoded in the first octet of <paramref name="connectionId"/> (7 = unroutable); -1 if empty.</summary>
    public static int ConfigIdOf(ReadOnlySpan<byte> connectionId) => connectionId.IsEmpty ? -1 : connectionId[0] >> 5;

    /// <inheritdoc/>
    public override string ToString() =>
        $"config {ConfigId}: server_id {ServerIdLength} B, nonce {NonceLength} B, {Algorithm}{(EncodeLength ? ", length in first octet" : "")}";
}
