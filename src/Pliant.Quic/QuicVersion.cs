namespace Pliant.Quic;

/// <summary>QUIC version numbers this stack speaks (RFC 9000 §15, RFC 9369 §3.1).</summary>
public static class QuicVersion
{
    /// <summary>QUIC version 1 (RFC 9000).</summary>
    public const uint V1 = 0x00000001;

    /// <summary>QUIC version 2 (RFC 9369 §3.1).</summary>
    public const uint V2 = 0x6b3343cf;

    /// <summary>The version that marks a Version Negotiation packet (RFC 9000 §17.2.1).</summary>
    public const uint Negotiation = 0x00000000;

    /// <summary>True for versions this implementation can use for a connection.</summary>
    public static bool IsSupported(uint version) => version is V1 or V2;
}
