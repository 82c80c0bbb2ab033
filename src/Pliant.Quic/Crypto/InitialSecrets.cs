using System.Security.Cryptography;

namespace Pliant.Quic.Crypto;

/// <summary>
/// Initial packet protection secrets, derived from the client's first Destination Connection ID
/// (RFC 9001 §5.2; salt of RFC 9369 §3.3.1 for QUIC v2).
/// </summary>
public static class InitialSecrets
{
    // RFC 9001 §5.2.
    private static ReadOnlySpan<byte> SaltV1 =>
    [
        0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
        0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
    ];

    // RFC 9369 §3.3.1: the first 20 bytes of sha256("QUICv2 salt").
    private static ReadOnlySpan<byte> SaltV2 =>
    [
        0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
        0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
    ];

    // The draft's salt, as shipped by ngtcp2 0.12 (libngtcp2_crypto).
    private static ReadOnlySpan<byte> SaltV2Draft =>
    [
        0xa7, 0x07, 0xc2, 0x03, 0xa5, 0x9b, 0x47, 0x18, 0x4a, 0x1d,
        0x62, 0xca, 0x57, 0x04, 0x06, 0xea, 0x7a, 0xe3, 0xe5, 0xd3,
    ];

    /// <summary>The Initial salt of <paramref name="version"/>.</summary>
    public static ReadOnlySpan<byte> Salt(uint version) => version switch
    {
        QuicVersion.V1 => SaltV1,
        QuicVersion.V2 => SaltV2,
        QuicVersion.V2Draft => SaltV2Draft,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "unsupported QUIC version"),
    };

    /// <summary>
    /// client_initial_secret and server_initial_secret (32 bytes each):
    /// initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id), then
    /// HKDF-Expand-Label(initial_secret, "client in" / "server in", "", 32) (RFC 9001 §5.2).
    /// </summary>
    public static void Derive(uint version, ReadOnlySpan<byte> clientDcid, out byte[] clientSecret, out byte[] serverSecret)
    {
        Span<byte> initial = stackalloc byte[32];
        Hkdf.Extract(HashAlgorithmName.SHA256, clientDcid, Salt(version), initial);
        // The "client in"/"server in" labels are the same for v1 and v2 (RFC 9369 §3.3.2 changes only key/iv/hp/ku).
        clientSecret = HkdfLabel.Expand(HashAlgorithmName.SHA256, initial, "client in", default, 32);
        serverSecret = HkdfLabel.Expand(HashAlgorithmName.SHA256, initial, "server in", default, 32);
        CryptographicOperations.ZeroMemory(initial);
    }

    /// <summary>
    /// Initial keys (AEAD_AES_128_GCM, RFC 9001 §5.2) for one endpoint: a server sends with the server
    /// secret and receives with the client secret, a client the other way round.
    /// </summary>
    public static void CreateKeys(uint version, ReadOnlySpan<byte> clientDcid, bool isServer,
        out PacketKeys send, out PacketKeys receive)
    {
        Derive(version, clientDcid, out var client, out var server);
        var clientKeys = PacketKeys.Create(CipherSuite.Aes128GcmSha256, client, version);
        var serverKeys = PacketKeys.Create(CipherSuite.Aes128GcmSha256, server, version);
        CryptographicOperations.ZeroMemory(client);
        CryptographicOperations.ZeroMemory(server);
        send = isServer ? serverKeys : clientKeys;
        receive = isServer ? clientKeys : serverKeys;
    }

    /// <summary>
    /// The Initial keys of one side only (the client's when <paramref name="clientSide"/>): what a
    /// server needs to open a client's first Initial, or to seal a stateless answer to it, without
    /// deriving both directions.
    /// </summary>
    public static PacketKeys CreateKeysFor(uint version, ReadOnlySpan<byte> clientDcid, bool clientSide)
    {
        Span<byte> secret = stackalloc byte[SecretLength];
        DeriveSecretFor(version, clientDcid, clientSide, secret);
        var keys = PacketKeys.Create(CipherSuite.Aes128GcmSha256, secret, version);
        CryptographicOperations.ZeroMemory(secret);
        return keys;
    }

    /// <summary>Length of an Initial secret (SHA-256's output).</summary>
    public const int SecretLength = 32;

    /// <summary>
    /// The Initial secret of one side (the client's when <paramref name="clientSide"/>) into <paramref name="secret"/>
    /// (<see cref="SecretLength"/> bytes), without allocating: the secret <see cref="CreateKeysFor"/> derives its keys from.
    /// </summary>
    public static void DeriveSecretFor(uint version, ReadOnlySpan<byte> clientDcid, bool clientSide, Span<byte> secret)
    {
        if (secret.Length != SecretLength) throw new ArgumentException($"an Initial secret is {SecretLength} bytes", nameof(secret));
        Span<byte> initial = stackalloc byte[SecretLength];
        Hkdf.Extract(HashAlgorithmName.SHA256, clientDcid, Salt(version), initial);
        HkdfLabel.Expand(HashAlgorithmName.SHA256, initial, clientSide ? "client in" : "server in", default, secret);
        CryptographicOperations.ZeroMemory(initial);
    }
}
