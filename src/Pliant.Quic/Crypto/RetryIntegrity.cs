using System.Buffers;
using System.Security.Cryptography;

namespace Pliant.Quic.Crypto;

/// <summary>
/// The Retry Integrity Tag: AEAD_AES_128_GCM with a fixed key and nonce over the Retry pseudo-packet
/// (RFC 9001 §5.8; key and nonce of RFC 9369 §3.3.3 for QUIC v2).
/// </summary>
public static class RetryIntegrity
{
    /// <summary>Length of the tag that ends a Retry packet.</summary>
    public const int TagLength = 16;

    // RFC 9001 §5.8.
    private static ReadOnlySpan<byte> KeyV1 =>
        [0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e];
    private static ReadOnlySpan<byte> NonceV1 =>
        [0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb];

    // RFC 9369 §3.3.3.
    private static ReadOnlySpan<byte> KeyV2 =>
        [0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92];
    private static ReadOnlySpan<byte> NonceV2 =>
        [0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a];

    // draft-ietf-quic-v2 (0x709a50c4), as shipped by ngtcp2 0.12.
    private static ReadOnlySpan<byte> KeyV2Draft =>
        [0xba, 0x85, 0x8d, 0xc7, 0xb4, 0x3d, 0xe5, 0xdb, 0xf8, 0x76, 0x17, 0xff, 0x4a, 0xb2, 0x53, 0xdb];
    private static ReadOnlySpan<byte> NonceV2Draft =>
        [0x14, 0x1b, 0x99, 0xc2, 0x39, 0xb0, 0x3e, 0x78, 0x5d, 0x6a, 0x2e, 0x9f];

    [ThreadStatic] private static AesGcm? t_v2draft;

    // AesGcm instances are not safe for concurrent use; one per thread and version.
    [ThreadStatic] private static AesGcm? t_v1;
    [ThreadStatic] private static AesGcm? t_v2;

    /// <summary>The fixed AES-128-GCM key of <paramref name="version"/>.</summary>
    public static ReadOnlySpan<byte> Key(uint version) => version switch
    {
        QuicVersion.V1 => KeyV1,
        QuicVersion.V2 => KeyV2,
        QuicVersion.V2Draft => KeyV2Draft,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "unsupported QUIC version"),
    };

    /// <summary>The fixed nonce of <paramref name="version"/>.</summary>
    public static ReadOnlySpan<byte> Nonce(uint version) => version switch
    {
        QuicVersion.V1 => NonceV1,
        QuicVersion.V2 => NonceV2,
        QuicVersion.V2Draft => NonceV2Draft,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "unsupported QUIC version"),
    };

    /// <summary>
    /// Computes the tag of a Retry packet (<paramref name="retryWithoutTag"/>: everything up to the tag)
    /// sent in response to an Initial with Destination Connection ID <paramref name="originalDcid"/>.
    /// </summary>
    public static void ComputeTag(uint version, ReadOnlySpan<byte> originalDcid, ReadOnlySpan<byte> retryWithoutTag, Span<byte> tag16)
    {
        if (originalDcid.Length > 255) throw new ArgumentException("connection ID too long", nameof(originalDcid));
        if (tag16.Length < TagLength) throw new ArgumentException("the tag is 16 bytes", nameof(tag16));
        var nonce = Nonce(version);
        var gcm = Cipher(version);

        // RFC 9001 §5.8: Retry Pseudo-Packet = ODCID Length (8) | ODCID | Retry packet without the tag.
        int length = 1 + originalDcid.Length + retryWithoutTag.Length;
        byte[]? rented = null;
        Span<byte> pseudo = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
        pseudo = pseudo[..length];
        pseudo[0] = (byte)originalDcid.Length;
        originalDcid.CopyTo(pseudo[1..]);
        retryWithoutTag.CopyTo(pseudo[(1 + originalDcid.Length)..]);
        // The plaintext is empty; the tag is the AEAD output over the pseudo-packet as associated data.
        gcm.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag16[..TagLength], pseudo);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }

    /// <summary>
    /// Checks the tag at the end of <paramref name="retryPacket"/> (the whole Retry packet, tag included).
    /// False when it does not match or the packet is shorter than a tag.
    /// </summary>
    public static bool Verify(uint version, ReadOnlySpan<byte> originalDcid, ReadOnlySpan<byte> retryPacket)
    {
        if (retryPacket.Length < TagLength + 1 || originalDcid.Length > 255) return false;
        Span<byte> expected = stackalloc byte[TagLength];
        ComputeTag(version, originalDcid, retryPacket[..^TagLength], expected);
        return CryptographicOperations.FixedTimeEquals(expected, retryPacket[^TagLength..]);
    }

    private static AesGcm Cipher(uint version) => version switch
    {
        QuicVersion.V1 => t_v1 ??= new AesGcm(KeyV1, TagLength),
        QuicVersion.V2 => t_v2 ??= new AesGcm(KeyV2, TagLength),
        QuicVersion.V2Draft => t_v2draft ??= new AesGcm(KeyV2Draft, TagLength),
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "unsupported QUIC version"),
    };
}
