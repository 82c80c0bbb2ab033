namespace Pliant.Quic;

/// <summary>QUIC version numbers this stack speaks (RFC 9000 §15, RFC 9369 §3.1).</summary>
public static class QuicVersion
{
    /// <summary>QUIC version 1 (RFC 9000).</summary>
    public const uint V1 = 0x00000001;

    /// <summary>QUIC version 2 (RFC 9369 §3.1).</summary>
    public const uint V2 = 0x6b3343cf;

    /// <summary>
    /// draft-ietf-quic-v2's provisional number, still the only v2 that some deployed stacks speak
    /// (ngtcp2 0.12, Debian 12). Same wire image as <see cref="V2"/> with the draft's salt and Retry
    /// key, and the v1 key-update label. Accepted for interoperability; <see cref="V2"/> is preferred.
    /// </summary>
    public const uint V2Draft = 0x709a50c4;

    /// <summary>True for the two flavours of QUIC version 2 (RFC 9369 and its draft).</summary>
    public static bool IsV2(uint version) => version is V2 or V2Draft;

    /// <summary>The version that marks a Version Negotiation packet (RFC 9000 §17.2.1).</summary>
    public const uint Negotiation = 0x00000000;

    /// <summary>True for versions this implementation can use for a connection.</summary>
    public static bool IsSupported(uint version) => version is V1 or V2 or V2Draft;
}
