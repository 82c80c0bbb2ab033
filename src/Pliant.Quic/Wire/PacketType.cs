namespace Pliant.Quic.Wire;

/// <summary>QUIC packet types (RFC 9000 §17).</summary>
public enum PacketType
{
    /// <summary>Initial (long header).</summary>
    Initial,
    /// <summary>0-RTT (long header).</summary>
    ZeroRtt,
    /// <summary>Handshake (long header).</summary>
    Handshake,
    /// <summary>Retry (long header).</summary>
    Retry,
    /// <summary>Version Negotiation (long header, version 0).</summary>
    VersionNegotiation,
    /// <summary>1-RTT (short header).</summary>
    OneRtt,
}

/// <summary>Maps long-header packet types to the two Type bits of the first byte, which differ per version.</summary>
public static class PacketTypes
{
    /// <summary>The 2-bit long-header Type field for <paramref name="type"/> in <paramref name="version"/>.</summary>
    /// <exception cref="ArgumentException">The type has no long-header Type bits (VN, 1-RTT).</exception>
    public static int ToBits(PacketType type, uint version)
    {
        // RFC 9000 §17.2 Table 5: Initial 0, 0-RTT 1, Handshake 2, Retry 3.
        int v1 = type switch
        {
            PacketType.Initial => 0,
            PacketType.ZeroRtt => 1,
            PacketType.Handshake => 2,
            PacketType.Retry => 3,
            _ => throw new ArgumentException("packet type has no long-header type bits", nameof(type)),
        };
        // RFC 9369 §3.2: v2 uses Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00, i.e. v1 + 1 mod 4.
        return QuicVersion.IsV2(version) ? (v1 + 1) & 3 : v1;
    }

    /// <summary>The packet type for the 2-bit long-header Type field <paramref name="bits"/> in <paramref name="version"/>.</summary>
    public static PacketType FromBits(int bits, uint version)
    {
        bits &= 3;
        if (QuicVersion.IsV2(version)) bits = (bits + 3) & 3; // RFC 9369 §3.2
        return bits switch
        {
            0 => PacketType.Initial,
            1 => PacketType.ZeroRtt,
            2 => PacketType.Handshake,
            _ => PacketType.Retry,
        };
    }

    /// <summary>The encryption level packets of <paramref name="type"/> are protected with (not meaningful for Retry/VN).</summary>
    public static EncryptionLevel ToLevel(PacketType type) => type switch
    {
        PacketType.Initial => EncryptionLevel.Initial,
        PacketType.ZeroRtt => EncryptionLevel.ZeroRtt,
        PacketType.Handshake => EncryptionLevel.Handshake,
        PacketType.OneRtt => EncryptionLevel.OneRtt,
        _ => throw new ArgumentException("packet type has no encryption level", nameof(type)),
    };
}
